// On running pods, what the injector promises and the agent must keep (issue 12's four disagreements among
// them, each found only where a real kubelet runs the pod):
// - `esi.dev/sync-secret`: the agent writes the ESO-compatible Secret with the pod's own service account and
//   exactly the Role the README lists; a second container consumes it through `secretKeyRef`, and a
//   rotation updates it;
// - `esi.dev/on-change: signal:HUP:app`: the agent finds the app's process (marker mount, shared PID
//   namespace) and the app's HUP trap runs; the SecretRotated Event carries the pod's uid (ESI_POD_UID);
// - a second esi with `--controller-class=alt`: its agents write Secrets for stores of class `alt`.
// Figures (pod creation → app start, rotation lag inside the app) are printed, never asserted.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dataHash } from '../../eso/hash.ts';
import { harness, putAwsSecret, sentinel, sha256 } from '../harness/index.ts';
import { installEsi, installEsiVariant } from '../harness/pods/esi.ts';
import { kubectl, podApi, podCluster, type PodClusterInfo } from '../harness/pods/index.ts';
import { MOUNT, appContainer, awsFixture, awsPodIdentity, containerLog, eventually, expectNoLeak, fmtMs, podNamespace, rotationSeen, startApp } from './pods-helpers.ts';

let info: PodClusterInfo;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  info = await podCluster();
  await installEsi(info);
}, 900_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 120_000);

/** The Role the README's sync-secret section lists, for `target`, as written there (nothing added). */
async function readmeRole(target: string): Promise<{ rules: unknown[] }> {
  const readme = await readFile(join(resolve(import.meta.dirname, '..', '..'), 'README.md'), 'utf8');
  const at = readme.indexOf('RBAC the');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !block) throw new Error('README: the sync-secret RBAC block is gone');
  const role = parse(block[1]!.replaceAll('<target name>', target)) as { rules: unknown[] };
  expect(role.rules.length).toBeGreaterThan(0);
  return role;
}

/** A Role with the README's rules for `target`, bound to the pod's service account `sa`. */
async function grantReadmeRole(ns: string, name: string, sa: string, target: string): Promise<void> {
  const { rules } = await readmeRole(target);
  await podApi(info, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules });
  await podApi(info, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  });
}

interface SecretView {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  data?: Record<string, string>;
}

const secretHash = (s: SecretView, key: string) => sha256(Buffer.from(s.data?.[key] ?? '', 'base64'));
const getSecret = async (ns: string, name: string) => (await podApi<SecretView>(info, 'GET', `/api/v1/namespaces/${ns}/secrets/${name}`)).body;

describe('the injector/agent contract on running pods', () => {
  it('esi.dev/sync-secret: the pod\'s own service account, the README\'s Role, consumed through secretKeyRef', async () => {
    const ns = await podNamespace(info, 'pods-sync');
    const v1 = sentinel('pods-sync-v1');
    const v2 = sentinel('pods-sync-v2');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    await podApi(info, 'PATCH', `/apis/external-secrets.io/v1/namespaces/${ns}/secretstores/aws`, { spec: { controller: 'esi' } }, { contentType: 'application/merge-patch+json' });
    await grantReadmeRole(ns, 'esi-sync', 'app', 'db');
    const consumer = {
      ...appContainer(info.images.busybox, '/dev/null'),
      name: 'consumer',
      command: ['/bin/sh', '-c', 'echo "consumer sees $(printf %s "$PASSWORD" | sha256sum | cut -c1-64)"; while true; do sleep 3600; done'],
      env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
    };
    const app = await startApp(info, ns, 'app', {
      annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/sync-secret': 'true', 'esi.dev/refresh-interval': '2s' },
      spec: f.podSpec,
      containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts }), consumer],
    });
    expect(app.firstSeen.text).toBe(`app sees ${sha256(v1)}`);
    // The Secret existed when the kubelet started the consumer: its env has the first value.
    const seen = await eventually('the consumer to log its env', 30_000, async () =>
      (await containerLog(info, ns, 'app', 'consumer')).find((l) => l.text.startsWith('consumer sees ')));
    expect(seen.text).toBe(`consumer sees ${sha256(v1)}`);
    const s1 = await getSecret(ns, 'db');
    expect(secretHash(s1, 'password')).toBe(sha256(v1));
    expect(s1.metadata.labels?.['reconcile.external-secrets.io/managed']).toBe('true');
    expect(s1.metadata.annotations?.['reconcile.external-secrets.io/data-hash']).toBe(dataHash({ password: Buffer.from(v1) }));
    expect(s1.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(['ExternalSecret/db']);

    // A rotation reaches the files in place and the Secret through `update` on its name.
    const r = await rotationSeen(info, ns, app.pod, 'app', sha256(v2), () => putAwsSecret(f.secretName, v2));
    const updated = await eventually('the Secret to carry the rotated value', 30_000, async () => {
      const s = await getSecret(ns, 'db');
      return secretHash(s, 'password') === sha256(v2) ? Date.now() : undefined;
    });
    // The consumer's env is what the kubelet resolved at its start; it holds the value by design, so only
    // the app's env is checked for leaks.
    await expectNoLeak(info, ns, 'app', [v1, v2], { containers: ['app', 'esi-agent', 'consumer'], envOf: ['app'] });
    console.log(`[pods] sync-secret: pod creation → app start ${fmtMs(app.started.at - app.created)}; rotation in moto → seen inside the app ` +
      `${fmtMs(r.lagMs)}, → Secret updated ≤ ${fmtMs(updated - r.at + r.lagMs)} (refresh-interval 2s)`);
  }, 240_000);

  it('esi.dev/on-change signal:HUP:app reaches the app\'s process; the Event names the pod by uid', async () => {
    const ns = await podNamespace(info, 'pods-hup');
    const v1 = sentinel('pods-hup-v1');
    const v2 = sentinel('pods-hup-v2');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1);
    await grantReadmeRole(ns, 'esi-events', 'app', 'db');
    const app = appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts });
    const command = app['command'] as string[];
    // The app (uid 1000) traps HUP; the injector runs the agent as the target's runAsUser, since a process
    // without capabilities may signal only its own uid's.
    const hupApp = { ...app, command: [command[0], command[1], `trap 'echo app got HUP' HUP\n${command[2]}`] };
    // A second container of the same uid, so only the marker mount the injector gives the target (not
    // "the one other container") tells the agent which process is the app's.
    const helper = { ...app, name: 'helper', command: ['/bin/sh', '-c', "trap 'echo helper got HUP' HUP; while true; do usleep 200000; done"] };
    const started = await startApp(info, ns, 'app', {
      annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': '2s', 'esi.dev/on-change': 'signal:HUP:app' },
      spec: f.podSpec,
      containers: [hupApp, helper],
    });
    expect((started.pod.spec as { shareProcessNamespace?: boolean }).shareProcessNamespace).toBe(true);
    const agentUid = (p: typeof started.pod) => ((p.spec.initContainers as { name: string; securityContext?: { runAsUser?: number } }[] | undefined)
      ?.find((c) => c.name === 'esi-agent')?.securityContext?.runAsUser);
    expect(agentUid(started.pod)).toBe(1000);
    // Beside it, the same app with no runAsUser in the spec (it runs as its image's user, root): the agent
    // keeps its own uid, cannot signal it, and says so with the error the README's troubleshooting lists.
    const other = await startApp(info, ns, 'other', {
      annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': '2s', 'esi.dev/on-change': 'signal:HUP:app' },
      spec: f.podSpec,
      containers: [{ ...hupApp, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    });
    expect(agentUid(other.pod)).toBe(65532);
    const before = (await containerLog(info, ns, 'app', 'app')).filter((l) => l.text === 'app got HUP').length;
    const t0 = Date.now();
    const r = await rotationSeen(info, ns, started.pod, 'app', sha256(v2), () => putAwsSecret(f.secretName, v2));
    const hup = await eventually('the app to log the HUP', 30_000, async () => {
      const hups = (await containerLog(info, ns, 'app', 'app')).filter((l) => l.text === 'app got HUP');
      return hups.length > before ? hups[hups.length - 1] : undefined;
    });
    const events = await eventually('a SecretRotated Event', 30_000, async () => {
      const list = (await podApi<{ items: { reason: string; involvedObject: { kind: string; name: string; uid?: string } }[] }>(info, 'GET', `/api/v1/namespaces/${ns}/events`)).body.items;
      const rotated = list.filter((e) => e.reason === 'SecretRotated' && e.involvedObject.name === 'app');
      return rotated.length > 0 ? rotated : undefined;
    });
    for (const e of events) expect(e.involvedObject).toMatchObject({ kind: 'Pod', name: 'app', uid: started.pod.metadata.uid });
    const refused = await eventually('the other agent to log why it could not signal', 30_000, async () =>
      (await containerLog(info, ns, 'other', 'esi-agent')).find((l) => l.text.includes('on-change notification failed')));
    expect(refused.text).toMatch(/on-change: SIGHUP to container app \(pid \d+\): kill EPERM; the agent \(uid 65532\) may signal only processes of its own uid: set runAsUser on container app/);
    expect((await containerLog(info, ns, 'other', 'app')).map((l) => l.text)).not.toContain('app got HUP');
    expect(other.pod.metadata.uid).not.toBe(started.pod.metadata.uid);
    expect((await containerLog(info, ns, 'app', 'helper')).map((l) => l.text)).not.toContain('helper got HUP');
    // kubectl describe finds Events by uid: the rotation shows on the pod.
    expect(await kubectl(info, ['-n', ns, 'describe', 'pod', 'app'])).toContain('SecretRotated');
    await expectNoLeak(info, ns, 'app', [v1, v2], { containers: ['app', 'esi-agent'], envOf: ['app'] });
    console.log(`[pods] on-change-signal: pod creation → app start ${fmtMs(started.started.at - started.created)}; ` +
      `rotation in moto → seen inside the app ${fmtMs(r.lagMs)}, → HUP trapped in the app ${fmtMs(hup.at - t0)} (refresh-interval 2s)`);
  }, 240_000);

  it('--controller-class=alt on the webhook: its agents write Secrets for stores of class alt', async () => {
    // The main install excludes kube-public by name; this one serves only it (its namespaceSelector and
    // --namespace-selector), so exactly one esi injects the pod.
    const ns = 'kube-public';
    const alt = await installEsiVariant(info, { name: 'esi-alt', controllerClass: 'alt', forNamespace: ns });
    cleanups.push(alt.uninstall);
    const id = randomBytes(3).toString('hex');
    const [sa, store, es, target, pod] = [`app-${id}`, `aws-${id}`, `db-${id}`, `db-${id}`, `app-${id}`];
    const v1 = sentinel('pods-class');
    const remote = `pods/${ns}/${id}`;
    await putAwsSecret(remote, v1);
    const h = harness();
    await podApi(info, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } });
    await podApi(info, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/secretstores`, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: store },
      spec: { controller: 'alt', provider: { aws: { service: 'SecretsManager', region: h.awsRegion } } },
    });
    await podApi(info, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets`, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: es },
      spec: { refreshInterval: '1h', secretStoreRef: { name: store, kind: 'SecretStore' }, target: { name: target }, data: [{ secretKey: 'password', remoteRef: { key: remote } }] },
    });
    await grantReadmeRole(ns, `esi-${id}`, sa, target);
    const irsa = awsPodIdentity(info, h);
    cleanups.push(async () => void (await podApi(info, 'DELETE', `/api/v1/namespaces/${ns}/pods/${pod}`, { gracePeriodSeconds: 1 }, { allow: [404] })));
    const app = await startApp(info, ns, pod, {
      annotations: { 'esi.dev/external-secrets': es, 'esi.dev/sync-secret': 'true' },
      spec: { ...irsa.podSpec, serviceAccountName: sa },
      containers: [appContainer(info.images.busybox, `${MOUNT}/${es}/password`, { env: irsa.env, volumeMounts: irsa.volumeMounts })],
    });
    expect(app.firstSeen.text).toBe(`app sees ${sha256(v1)}`);
    const config = JSON.parse(app.pod.metadata.annotations?.['esi.dev/agent-config'] ?? '{}') as { controllerClass?: string };
    expect(config.controllerClass).toBe('alt');
    expect(secretHash(await getSecret(ns, target), 'password')).toBe(sha256(v1));
    await expectNoLeak(info, ns, pod, [v1], { containers: ['app', 'esi-agent'], envOf: ['app'] });
    console.log(`[pods] controller-class alt: second esi installed in ${fmtMs(alt.ms)}; pod creation → app start ${fmtMs(app.started.at - app.created)}`);
  }, 360_000);
});
