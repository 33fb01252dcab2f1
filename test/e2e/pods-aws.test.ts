// On running pods: esi installed from deploy/manifests/esi.yaml into the real-pod cluster, a Deployment
// labelled for injection with IRSA (a projected token with audience sts.amazonaws.com, moto's STS), the app
// container starts only after the first sync, reads the file, and sees a rotation made in moto without a
// restart (same container ID, restartCount 0). Figures (pod creation → app start, rotation lag inside the
// app) are printed, never asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import { IRSA_AUDIENCE, harness, putAwsSecret, sentinel, sha256 } from '../harness/index.ts';
import { installEsi } from '../harness/pods/esi.ts';
import { podApi, podCluster, type PodClusterInfo } from '../harness/pods/index.ts';
import { MOUNT, appContainer, containerLog, eventually, exec, fmtMs, podNamespace, readyPod, status } from './pods-helpers.ts';

let info: PodClusterInfo;

beforeAll(async () => {
  info = await podCluster();
  const { ms } = await installEsi(info);
  console.log(`[pods] cluster up in ${fmtMs(info.startMs)}; esi installed from deploy/manifests/esi.yaml in ${fmtMs(ms)}`);
}, 900_000);

describe('AWS Secrets Manager with IRSA on a running pod', () => {
  it('starts the app after the first sync and shows it a rotation without a restart', async () => {
    const h = harness();
    const ns = await podNamespace(info, 'pods-aws');
    const secretName = `pods/${ns}/db`;
    const v1 = sentinel('pods-aws-v1');
    const v2 = sentinel('pods-aws-v2');
    await putAwsSecret(secretName, v1);
    await podApi(info, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app' } });
    await podApi(info, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/secretstores`, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'aws' },
      spec: { provider: { aws: { service: 'SecretsManager', region: h.awsRegion } } },
    });
    await podApi(info, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets`, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db' },
      spec: {
        refreshInterval: '1h', secretStoreRef: { name: 'aws', kind: 'SecretStore' }, target: { name: 'db' },
        data: [{ secretKey: 'password', remoteRef: { key: secretName } }],
      },
    });

    // What the EKS Pod Identity webhook adds for IRSA, written by hand: role env + projected token.
    const tokenDir = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
    const app = appContainer(info.images.busybox, `${MOUNT}/db/password`, {
      env: [
        { name: 'AWS_ROLE_ARN', value: `arn:aws:iam::${h.awsAccountId}:role/pods-app` },
        { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${tokenDir}/token` },
        { name: 'AWS_REGION', value: h.awsRegion },
        { name: 'AWS_ENDPOINT_URL', value: info.motoUrl },
      ],
      volumeMounts: [{ name: 'aws-iam-token', mountPath: tokenDir, readOnly: true }],
    });
    const created = Date.now();
    await podApi(info, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: {
            labels: { app: 'app', 'esi.dev/inject': 'true' },
            annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': '2s' },
          },
          spec: {
            serviceAccountName: 'app',
            terminationGracePeriodSeconds: 2,
            // The projected token is 0600 root unless an fsGroup makes it group-readable: app and agent
            // run as different users (the usual IRSA advice for non-root containers).
            securityContext: { fsGroup: 2000 },
            containers: [app],
            volumes: [{ name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: IRSA_AUDIENCE, expirationSeconds: 86_400, path: 'token' } }] } }],
          },
        },
      },
    });

    const pod = await readyPod(info, ns, 'app=app', 90_000);
    const name = pod.metadata.name;
    const agent = status(pod, 'esi-agent');
    expect(agent, 'esi injected its agent as a native sidecar').toBeDefined();
    expect(pod.spec.initContainers?.map((c) => c.name)).toContain('esi-agent');
    const appStatus = status(pod, 'app')!;
    expect(appStatus.restartCount).toBe(0);

    // The app's first look at the file already finds the first value: the startup probe held it back.
    const started = await eventually('the app to log what it sees', 30_000, async () => {
      const lines = await containerLog(info, ns, name, 'app');
      const start = lines.find((l) => l.text === 'app started');
      const seen = lines.find((l) => l.text.startsWith('app sees '));
      return start && seen ? { start, seen } : undefined;
    });
    expect(started.seen.text).toBe(`app sees ${sha256(v1)}`);
    expect(Date.parse(agent!.state.running!.startedAt)).toBeLessThanOrEqual(Date.parse(appStatus.state.running!.startedAt));
    expect((await exec(info, ns, name, 'app', ['sha256sum', `${MOUNT}/db/password`])).slice(0, 64)).toBe(sha256(v1));

    // Rotate in moto; the running app sees the new value in place.
    const rotated = Date.now();
    await putAwsSecret(secretName, v2);
    const seenNew = await eventually('the app to see the rotated value', 60_000, async () =>
      (await containerLog(info, ns, name, 'app')).find((l) => l.text === `app sees ${sha256(v2)}`));
    expect((await exec(info, ns, name, 'app', ['sha256sum', `${MOUNT}/db/password`])).slice(0, 64)).toBe(sha256(v2));

    const after = (await podApi<typeof pod>(info, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
    expect(status(after, 'app')!.containerID).toBe(appStatus.containerID);
    expect(status(after, 'app')!.restartCount).toBe(0);
    expect(status(after, 'esi-agent')!.restartCount).toBe(0);

    console.log(`[pods] aws-irsa: pod creation → app start ${fmtMs(started.start.at - created)}; ` +
      `rotation in moto → seen inside the app ${fmtMs(seenNew.at - rotated)} (refresh-interval 2s)`);
  }, 300_000);
});
