// Operating esi on running pods (issue 11, issue 19): a CronJob with the native sidecar, a namespace
// enforcing the `restricted` Pod Security Standard, a backend outage while pods run (files kept, NotReady
// after the staleness bound, Events, recovery), a failed init agent's reason in its termination message,
// the endpoint env reaching the in-pod agent (app container, esi.dev/agent-env, the chart's agent.env), two
// hostNetwork pods on one node, an ExternalSecret change with no "restart the pod" warning, the README's
// Helm install, and webhook pods gone. Each scenario has its own namespace; they run side by side on the
// shared cluster. Figures (lags, times) are printed, never asserted.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { harness, putAwsSecret, sentinel, sha256 } from '../harness/index.ts';
import { README, diagnose, installEsi, runAsUser, untilServing } from '../harness/pods/esi.ts';
import { CRD_PLACEHOLDER, readmeInstallCommands } from '../harness/pods/readme-install.ts';
import { kubectl, podApi, podCluster, podRaw, type PodClusterInfo } from '../harness/pods/index.ts';
import {
  MOUNT, appContainer, awsFixture, blockableForward, containerLog, eventually, exec, fmtMs, getPod, grantEvents, isReady,
  podNamespace, podsWithLabel, readyPod, status, type PodView,
} from './pods-helpers.ts';

let info: PodClusterInfo;

beforeAll(async () => {
  info = await podCluster();
  const { ms, here } = await installEsi(info);
  console.log(`[pods] esi installed by the README's commands (${here ? 'here' : 'by another suite'}) in ${fmtMs(ms)}`);
}, 900_000);

const withDiagnosis = async <T>(ns: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await diagnose(info, ns)}`);
  }
};

const fileHash = async (ns: string, pod: string, file: string) => (await exec(info, ns, pod, 'app', ['sha256sum', file])).slice(0, 64);

describe.concurrent('operating esi on running pods', () => {
  it('a CronJob\'s Job completes while esi\'s native sidecar runs beside its app', async ({ expect }) => {
    const ns = await podNamespace(info, 'pods-cron');
    const v1 = sentinel('pods-cron');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    const main = appContainer(info.images.busybox, `${MOUNT}/db/password`, {
      name: 'main', env: f.env, volumeMounts: f.volumeMounts,
      command: ['/bin/sh', '-c', `echo "cron sees $(sha256sum ${MOUNT}/db/password | cut -c1-64)"`],
    });
    const created = Date.now();
    await podApi(info, 'POST', `/apis/batch/v1/namespaces/${ns}/cronjobs`, {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' },
      spec: {
        schedule: '* * * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 0,
            template: {
              metadata: { labels: { app: 'cron', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
              spec: { ...f.podSpec, restartPolicy: 'Never', containers: [main] },
            },
          },
        },
      },
    });
    // The CronJob controller starts a Job at the next minute; the Job must reach Complete.
    const done = await withDiagnosis(ns, () => eventually('a Job of the CronJob to complete', 150_000, async () => {
      const jobs = (await podApi<{ items: { metadata: { name: string; creationTimestamp: string; ownerReferences?: { kind: string; name: string }[] }; status: { conditions?: { type: string; status: string }[]; completionTime?: string } }[] }>(
        info, 'GET', `/apis/batch/v1/namespaces/${ns}/jobs`)).body.items;
      if (jobs.some((j) => (j.status.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True'))) throw new Error('a Job of the CronJob failed');
      return jobs.find((j) => (j.status.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True'));
    }));
    expect(done.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'nightly' });
    const [pod] = (await podsWithLabel(info, ns, 'app=cron')).filter((p) => p.status.phase === 'Succeeded');
    expect(pod, 'the Job\'s pod Succeeded').toBeDefined();
    expect(pod!.spec.initContainers?.find((c) => c.name === 'esi-agent'), 'native sidecar injected').toBeDefined();
    expect(status(pod!, 'main')!.state.terminated?.exitCode).toBe(0);
    expect((await containerLog(info, ns, pod!.metadata.name, 'main')).map((l) => l.text)).toContain(`cron sees ${sha256(v1)}`);
    // The CronJob's own status records the success.
    const cj = (await podApi<{ status: { lastSuccessfulTime?: string } }>(info, 'GET', `/apis/batch/v1/namespaces/${ns}/cronjobs/nightly`)).body;
    await eventually('CronJob lastSuccessfulTime', 30_000, async () =>
      (await podApi<typeof cj>(info, 'GET', `/apis/batch/v1/namespaces/${ns}/cronjobs/nightly`)).body.status.lastSuccessfulTime);
    const jobStart = Date.parse(done.metadata.creationTimestamp);
    const complete = Date.parse(done.status.completionTime!);
    console.log(`[pods] cronjob-native-sidecar: CronJob creation → Job created ${fmtMs(jobStart - created)} (schedule: next minute); ` +
      `Job created → Complete ${fmtMs(complete - jobStart)} (API timestamps, 1 s resolution)`);
  }, 240_000);

  it('a namespace enforcing the restricted Pod Security Standard admits and runs an injected pod', async ({ expect }) => {
    const ns = await podNamespace(info, 'pods-pss', { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
    const v1 = sentinel('pods-pss');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    // Enforcement is on: a pod that is not restricted-ready is refused in this namespace.
    const refused = await podRaw<{ message: string }>(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loose' },
      spec: { containers: [{ name: 'c', image: info.images.busybox, imagePullPolicy: 'Never', command: ['true'] }] },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('violates PodSecurity "restricted:latest"');

    const created = Date.now();
    const admitted = await podRaw<PodView & { message?: string }>(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'app', labels: { app: 'pss', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
      spec: { ...f.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts })] },
    });
    expect(admitted.status, admitted.body.message).toBe(201);
    expect(admitted.body.spec.initContainers?.map((c) => c.name)).toContain('esi-agent');
    const pod = await readyPod(info, ns, 'app=pss', 90_000);
    expect(await fileHash(ns, pod.metadata.name, `${MOUNT}/db/password`)).toBe(sha256(v1));
    console.log(`[pods] restricted-pss: pod creation → Ready ${fmtMs(Date.now() - created)} (upper bound, polled)`);
  }, 180_000);

  it('a backend outage keeps the files, turns the pod NotReady after esi.dev/stale-after, records Events, and recovers', async ({ expect }) => {
    const ns = await podNamespace(info, 'pods-outage');
    const v1 = sentinel('pods-outage');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    await grantEvents(info, ns, 'app');
    const backend = await blockableForward(info.nodeIp, harness().motoUrl);
    try {
      const env = f.env.map((e) => (e.name === 'AWS_ENDPOINT_URL' ? { ...e, value: backend.url } : e));
      await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1', kind: 'Pod',
        metadata: {
          name: 'app', labels: { app: 'outage', 'esi.dev/inject': 'true' },
          annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': '1s', 'esi.dev/stale-after': '5s', 'esi.dev/unready-when-stale': 'true' },
        },
        spec: { ...f.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env, volumeMounts: f.volumeMounts })] },
      });
      const pod = await readyPod(info, ns, 'app=outage', 90_000);
      const uid = pod.metadata.uid;
      expect(await fileHash(ns, 'app', `${MOUNT}/db/password`)).toBe(sha256(v1));

      const blocked = Date.now();
      await backend.block();
      const unready = await withDiagnosis(ns, () => eventually('the pod to turn NotReady', 90_000, async () => {
        const p = await getPod(info, ns, 'app');
        return isReady(p) ? undefined : { at: Date.now(), pod: p };
      }));
      // NotReady, yet running and serving its last good files: nothing restarted, nothing was deleted.
      expect(status(unready.pod, 'esi-agent')!.restartCount).toBe(0);
      expect(status(unready.pod, 'app')!.restartCount).toBe(0);
      expect(await fileHash(ns, 'app', `${MOUNT}/db/password`)).toBe(sha256(v1));
      const events = await withDiagnosis(ns, () => eventually('SecretSyncFailed and SecretStale Events on the pod', 30_000, async () => {
        const list = (await podApi<{ items: { reason: string; message: string; type: string; involvedObject: { uid?: string; name: string } }[] }>(
          info, 'GET', `/api/v1/namespaces/${ns}/events`)).body.items.filter((e) => e.involvedObject.uid === uid);
        const reasons = new Set(list.map((e) => e.reason));
        return reasons.has('SecretSyncFailed') && reasons.has('SecretStale') ? list : undefined;
      }));
      expect(events.find((e) => e.reason === 'SecretStale')!.type).toBe('Warning');

      const unblocked = Date.now();
      await backend.unblock();
      const ready = await withDiagnosis(ns, () => eventually('the pod to be Ready again', 60_000, async () =>
        (isReady(await getPod(info, ns, 'app')) ? Date.now() : undefined)));
      const synced = await eventually('a SecretSynced Event after the outage', 30_000, async () =>
        (await podApi<{ items: { reason: string; involvedObject: { uid?: string } }[] }>(info, 'GET', `/api/v1/namespaces/${ns}/events`)).body.items
          .find((e) => e.reason === 'SecretSynced' && e.involvedObject.uid === uid));
      expect(synced).toBeDefined();
      const after = await getPod(info, ns, 'app');
      expect(status(after, 'app')!.containerID).toBe(status(pod, 'app')!.containerID);
      expect(status(after, 'esi-agent')!.restartCount).toBe(0);
      for (const e of events) expect(e.message.includes(v1)).toBe(false);
      console.log(`[pods] backend-outage: backend blocked → pod NotReady ${fmtMs(unready.at - blocked)} (stale-after 5s, readiness period 10s); ` +
        `backend back → Ready ${fmtMs(ready - unblocked)} (refresh-interval 1s, upper bounds, polled every 0.25 s)`);
    } finally {
      await backend.close();
    }
  }, 300_000);

  it('a failed init-mode agent leaves its reason in the container\'s termination message', async ({ expect }) => {
    const ns = await podNamespace(info, 'pods-initfail');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, sentinel('pods-initfail'));
    await podApi(info, 'PATCH', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets/db`,
      { spec: { data: [{ secretKey: 'password', remoteRef: { key: `pods/${ns}/does-not-exist` } }] } }, { contentType: 'application/merge-patch+json' });
    const created = Date.now();
    await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'app', labels: { app: 'initfail', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/mode': 'init' } },
      spec: { ...f.podSpec, restartPolicy: 'Never', containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts })] },
    });
    const failed = await withDiagnosis(ns, () => eventually('the init agent to fail', 120_000, async () => {
      const p = await getPod(info, ns, 'app');
      const t = status(p, 'esi-agent-init')?.state.terminated;
      return t && p.status.phase === 'Failed' ? { p, t, at: Date.now() } : undefined;
    }));
    expect(failed.t.exitCode).not.toBe(0);
    // The reason, where `kubectl describe pod` and `kubectl get pod -o yaml` show it.
    expect(failed.t.message).toMatch(/^esi agent: first sync failed after \d+ attempt\(s\): /);
    expect(failed.t.message).toContain(`pods/${ns}/does-not-exist`);
    expect(status(failed.p, 'app')?.state.running).toBeUndefined();
    const described = await kubectl(info, ['-n', ns, 'describe', 'pod', 'app']);
    expect(described).toContain('first sync failed');
    console.log(`[pods] init-agent-failure: pod creation → init agent terminated with its reason ${fmtMs(failed.at - created)}`);
  }, 180_000);

  it('esi.dev/agent-env aims the in-pod agent at the endpoint when the app container names none', async ({ expect }) => {
    const ns = await podNamespace(info, 'pods-agentenv');
    const v1 = sentinel('pods-agentenv');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    const env = f.env.filter((e) => e.name !== 'AWS_ENDPOINT_URL');
    await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'app', labels: { app: 'agentenv', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/agent-env': `AWS_ENDPOINT_URL=${info.motoUrl}` } },
      spec: { ...f.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env, volumeMounts: f.volumeMounts })] },
    });
    const pod = await readyPod(info, ns, 'app=agentenv', 90_000);
    const agent = pod.spec.initContainers!.find((c) => c.name === 'esi-agent')!;
    expect(agent.env?.find((e) => e.name === 'AWS_ENDPOINT_URL')?.value).toBe(info.motoUrl);
    expect(pod.spec.containers[0]!.env?.some((e) => e.name === 'AWS_ENDPOINT_URL')).toBe(false);
    expect(await fileHash(ns, 'app', `${MOUNT}/db/password`)).toBe(sha256(v1));

    // The same variable on the app container reaches the agent as identity does (no annotation).
    const ns2 = await podNamespace(info, 'pods-appenv');
    const f2 = await awsFixture(info, ns2, harness(), putAwsSecret, v1);
    await podApi(info, 'POST', `/api/v1/namespaces/${ns2}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'app', labels: { app: 'appenv', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
      spec: { ...f2.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f2.env, volumeMounts: f2.volumeMounts })] },
    });
    const pod2 = await readyPod(info, ns2, 'app=appenv', 90_000);
    expect(pod2.spec.initContainers!.find((c) => c.name === 'esi-agent')!.env?.find((e) => e.name === 'AWS_ENDPOINT_URL')?.value).toBe(info.motoUrl);
    expect(await fileHash(ns2, 'app', `${MOUNT}/db/password`)).toBe(sha256(v1));
  }, 180_000);

  it('two injected hostNetwork pods on one node both run, each agent on its own declared port', async ({ expect }) => {
    const ns = await podNamespace(info, 'pods-hostnet');
    const v1 = sentinel('pods-hostnet');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    const created = Date.now();
    for (const name of ['hn-a', 'hn-b']) {
      await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name, labels: { app: name, 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
        spec: { ...f.podSpec, hostNetwork: true, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts })] },
      });
    }
    const pods = await Promise.all(['hn-a', 'hn-b'].map((n) => readyPod(info, ns, `app=${n}`, 120_000)));
    const ports = pods.map((p) => p.spec.initContainers!.find((c) => c.name === 'esi-agent')!.ports ?? []);
    for (const [i, p] of ports.entries()) {
      expect(p, `agent port declared on ${pods[i]!.metadata.name}`).toHaveLength(1);
      expect(p[0]!.containerPort).toBeGreaterThanOrEqual(18100);
      expect(p[0]!.containerPort).toBeLessThan(19000);
      expect(p[0]!.hostPort).toBe(p[0]!.containerPort);
    }
    expect(ports[0]![0]!.containerPort).not.toBe(ports[1]![0]!.containerPort);
    for (const p of pods) {
      expect(status(p, 'esi-agent')!.restartCount).toBe(0);
      const log = (await containerLog(info, ns, p.metadata.name, 'esi-agent')).map((l) => l.text).join('\n');
      expect(log).not.toContain('EADDRINUSE');
      expect(await fileHash(ns, p.metadata.name, `${MOUNT}/db/password`)).toBe(sha256(v1));
    }
    console.log(`[pods] hostnetwork-pair: both pods Ready ${fmtMs(Date.now() - created)} after creation (ports ${ports.map((p) => p[0]!.containerPort).join(', ')})`);
  }, 180_000);

  it('an ExternalSecret change reaches the running app\'s files with no "restart the pod" warning from the controller', async ({ expect }) => {
    const ns = await podNamespace(info, 'pods-drift');
    const v1 = sentinel('pods-drift-password');
    const user = sentinel('pods-drift-user');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    await putAwsSecret(`pods/${ns}/user`, user);
    await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'app', labels: { app: 'drift', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
      spec: { ...f.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/user`, { env: f.env, volumeMounts: f.volumeMounts })] },
    });
    const pod = await readyPod(info, ns, 'app=drift', 90_000);
    const before = pod.metadata.annotations!['esi.dev/agent-config'];
    const changed = Date.now();
    await podApi(info, 'PATCH', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets/db`, {
      spec: { data: [{ secretKey: 'password', remoteRef: { key: f.secretName } }, { secretKey: 'user', remoteRef: { key: `pods/${ns}/user` } }] },
    }, { contentType: 'application/merge-patch+json' });
    const seen = await withDiagnosis(ns, () => eventually('the app to see the new file', 90_000, async () =>
      (await containerLog(info, ns, 'app', 'app')).find((l) => l.text === `app sees ${sha256(user)}`)));
    const after = await getPod(info, ns, 'app');
    expect(after.metadata.annotations!['esi.dev/agent-config']).not.toBe(before);
    expect(status(after, 'app')!.restartCount).toBe(0);
    // The controller patched this pod's config and found nothing else to change: no spec-drift warning.
    const webhookLogs = await kubectl(info, ['-n', 'esi-system', 'logs', '-l', 'app.kubernetes.io/component=webhook', '--tail=-1', '--prefix']);
    const mine = webhookLogs.split('\n').filter((l) => l.includes(`"namespace":"${ns}"`));
    expect(mine.some((l) => l.includes('agent config updated')), 'the controller\'s lines for this pod are in the logs').toBe(true);
    expect(mine.some((l) => l.includes('restart the pod')), mine.join('\n')).toBe(false);
    console.log(`[pods] externalsecret-change: ExternalSecret patched → new file seen inside the app ${fmtMs(seen.at - changed)}`);
  }, 180_000);
});

describe('installed as the README says', () => {
  it('the README\'s Helm commands leave two webhook pods serving with their own CA, called by the apiserver', async ({ expect }) => {
    const readme = readmeInstallCommands(await readFile(README, 'utf8'));
    const { commands } = await installEsi(info);
    // The install (by this file or whichever suite took the lock first) ran exactly the README's Helm route
    // (the CRD placeholder filled in).
    expect(commands).toEqual(readme.helm.map((c) => c.replace(CRD_PLACEHOLDER, info.crds.dir)));
    expect(await runAsUser(info, 'helm status esi --namespace esi-system')).toMatch(/STATUS: deployed/);
    const ns = (await podApi<{ metadata: { labels: Record<string, string> } }>(info, 'GET', '/api/v1/namespaces/esi-system')).body;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');

    const dep = (await podApi<{ spec: { replicas: number } }>(info, 'GET', '/apis/apps/v1/namespaces/esi-system/deployments/esi')).body;
    expect(dep.spec.replicas).toBe(2);
    const webhookPods = await podsWithLabel(info, 'esi-system', 'app.kubernetes.io/component=webhook');
    expect(webhookPods.filter((p) => p.status.phase === 'Running' && isReady(p))).toHaveLength(2);

    // Self-managed TLS: the CA the webhook keeps in its Secret is the caBundle the apiserver trusts.
    const secret = (await podApi<{ data: Record<string, string> }>(info, 'GET', '/api/v1/namespaces/esi-system/secrets/esi-tls')).body;
    const mwc = (await podApi<{ webhooks: { clientConfig: { caBundle: string; service: { name: string; namespace: string } } }[] }>(
      info, 'GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/esi')).body;
    const bundle = Buffer.from(mwc.webhooks[0]!.clientConfig.caBundle, 'base64').toString();
    expect(bundle).toContain(Buffer.from(secret.data['ca.crt']!, 'base64').toString().trim());
    expect(mwc.webhooks[0]!.clientConfig.service).toMatchObject({ name: 'esi', namespace: 'esi-system' });

    // The apiserver calls the webhook pods (through the Service's endpoints): a labelled pod comes back injected.
    const tns = await podNamespace(info, 'pods-readme');
    await awsFixture(info, tns, harness(), putAwsSecret, sentinel('pods-readme'));
    const t0 = Date.now();
    const dry = await podApi<PodView>(info, 'POST', `/api/v1/namespaces/${tns}/pods?dryRun=All`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
      spec: { containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`)] },
    });
    const admissionMs = Date.now() - t0;
    expect(dry.body.spec.initContainers?.map((c) => c.name)).toEqual(['esi-agent']);
    console.log(`[pods] readme-install: 2 webhook pods Ready, caBundle = esi-tls ca.crt; one admission through them ${fmtMs(admissionMs)}`);
  }, 300_000);
});

describe('webhook pods deleted', () => {
  // A second release of the chart, scoped by webhook.namespaceSelector to one test namespace, so taking its
  // pods away blocks nothing of the other suites that share the cluster (they use the README's release).
  it('unlabelled pods are still created; labelled pods follow the failurePolicy, and are admitted again once the webhook is back', async ({ expect }) => {
    const id = Math.random().toString(16).slice(2, 8);
    const rel = `esi-outage-${id}`;
    const relNs = await podNamespace(info, 'esi-rel');
    const ns = await podNamespace(info, 'pods-whdown', { 'esi-e2e-outage': id });
    const f = await awsFixture(info, ns, harness(), putAwsSecret, sentinel('pods-whdown'));
    const values = join(harness().runDir, `${rel}-values.json`);
    await writeFile(values, JSON.stringify({ replicaCount: 1, webhook: { controller: false, namespaceSelector: { matchLabels: { 'esi-e2e-outage': id } } } }));
    await runAsUser(info, `helm install ${rel} deploy/helm/esi --namespace ${relNs} -f ${values}`);
    try {
      await untilServing(info, relNs, rel);
      const labelled = (name: string) => ({
        apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
        spec: { ...f.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts })] },
      });
      // Both releases call on this namespace while up; the pod is injected once.
      const up = await podApi<PodView>(info, 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, labelled('both-up'));
      expect(up.body.spec.initContainers?.filter((c) => c.name === 'esi-agent')).toHaveLength(1);

      const down = Date.now();
      await podApi(info, 'PATCH', `/apis/apps/v1/namespaces/${relNs}/deployments/${rel}/scale`, { spec: { replicas: 0 } }, { contentType: 'application/merge-patch+json' });
      await eventually('the webhook pods to be gone', 60_000, async () => ((await podsWithLabel(info, relNs, 'app.kubernetes.io/component=webhook')).length === 0 ? true : undefined));
      const gone = Date.now();

      const plain = await podRaw<{ message?: string }>(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unlabelled' },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ ...appContainer(info.images.busybox, '/etc/hostname'), name: 'app' }] },
      });
      expect(plain.status, plain.body.message).toBe(201);

      const refused = await podRaw<{ message: string; code: number }>(info, 'POST', `/api/v1/namespaces/${ns}/pods`, labelled('refused'));
      expect(refused.status).toBe(500);
      expect(refused.body.message).toContain('failed calling webhook "inject.esi.dev"');
      expect(refused.body.message).toContain(rel);

      await podApi(info, 'PATCH', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${rel}`,
        [{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Ignore' }], { contentType: 'application/json-patch+json' });
      const ignored = await eventually('a labelled pod admitted under failurePolicy Ignore', 30_000, async () => {
        const r = await podRaw<PodView>(info, 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, labelled('ignored'));
        return r.status === 201 ? r : undefined;
      });
      expect(ignored.body.metadata.name).toBe('ignored');
      await podApi(info, 'PATCH', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${rel}`,
        [{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Fail' }], { contentType: 'application/json-patch+json' });

      const back = Date.now();
      await podApi(info, 'PATCH', `/apis/apps/v1/namespaces/${relNs}/deployments/${rel}/scale`, { spec: { replicas: 1 } }, { contentType: 'application/merge-patch+json' });
      const admitted = await eventually('a labelled pod admitted once the webhook pod is back', 120_000, async () => {
        const r = await podRaw<PodView>(info, 'POST', `/api/v1/namespaces/${ns}/pods`, labelled('after'));
        return r.status === 201 ? Date.now() : undefined;
      });
      const pod = await readyPod(info, ns, 'esi.dev/inject=true', 90_000);
      expect(pod.metadata.name).toBe('after');
      console.log(`[pods] webhook-down: scale to 0 → pods gone ${fmtMs(gone - down)}; ` +
        `scale to 1 → labelled pods admitted again ${fmtMs(admitted - back)} (upper bound, retried every 0.25 s)`);
    } finally {
      await runAsUser(info, `helm uninstall ${rel} --namespace ${relNs}`).catch((e: Error) => console.warn(`[pods] ${e.message}`));
    }
  }, 400_000);
});

describe('the chart\'s agent.env (webhook --agent-env)', () => {
  // A second release whose only namespace is one the README's release excludes (kube-node-lease, in
  // webhook.excludedNamespaces by default), so exactly this release injects the pod there.
  it('aims every agent the release injects at the endpoint, with nothing set on the pod', async ({ expect }) => {
    const ns = 'kube-node-lease';
    const id = Math.random().toString(16).slice(2, 8);
    const rel = `esi-agentenv-${id}`;
    const relNs = await podNamespace(info, 'esi-rel');
    const values = join(harness().runDir, `${rel}-values.json`);
    await writeFile(values, JSON.stringify({
      replicaCount: 1,
      webhook: { controller: false, excludedNamespaces: [], namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
      agent: { env: { AWS_ENDPOINT_URL: info.motoUrl } },
    }));
    await runAsUser(info, `helm install ${rel} deploy/helm/esi --namespace ${relNs} -f ${values}`);
    const v1 = sentinel('pods-cluster-agent-env');
    try {
      await untilServing(info, relNs, rel);
      const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
      const env = f.env.filter((e) => e.name !== 'AWS_ENDPOINT_URL');
      const name = `agentenv-${id}`;
      await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name, labels: { app: name, 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
        spec: { ...f.podSpec, containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env, volumeMounts: f.volumeMounts })] },
      });
      const pod = await readyPod(info, ns, `app=${name}`, 90_000);
      expect(pod.spec.initContainers!.find((c) => c.name === 'esi-agent')!.env?.find((e) => e.name === 'AWS_ENDPOINT_URL')?.value).toBe(info.motoUrl);
      expect(pod.metadata.annotations?.['esi.dev/agent-env']).toBeUndefined();
      expect(await fileHash(ns, name, `${MOUNT}/db/password`)).toBe(sha256(v1));
    } finally {
      await podRaw(info, 'DELETE', `/api/v1/namespaces/${ns}/pods/agentenv-${id}`, { gracePeriodSeconds: 1 });
      for (const path of ['/apis/external-secrets.io/v1/namespaces/kube-node-lease/externalsecrets/db', '/apis/external-secrets.io/v1/namespaces/kube-node-lease/secretstores/aws', '/api/v1/namespaces/kube-node-lease/serviceaccounts/app']) {
        await podRaw(info, 'DELETE', path);
      }
      await runAsUser(info, `helm uninstall ${rel} --namespace ${relNs}`).catch((e: Error) => console.warn(`[pods] ${e.message}`));
    }
  }, 300_000);
});
