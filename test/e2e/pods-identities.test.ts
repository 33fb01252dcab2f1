// On running pods, the pod's own identity against each backend besides IRSA (pods-aws.test.ts):
// - Vault/OpenBao Kubernetes auth with the pod's projected service-account token, reviewed by the real-pod
//   cluster's apiserver (OpenBao's mount `PodClusterInfo.baoKubernetesMount`); a rotation in OpenBao is
//   seen inside the running app, the files' mode is the README's 0444;
// - Vault Kubernetes auth with `auth.kubernetes.secretRef` naming no `key` (ESO reads `token`): the JWT of
//   a service-account token Secret reaches the agent and logs in (issue 12, bug 2, on a real kubelet);
// - EKS Pod Identity: the agent asks the emulator at EKS's link-local address with the pod's
//   pods.eks.amazonaws.com token, and a moto rotation reaches the running app.
// Figures (pod creation → app start, rotation lag inside the app) are printed, never asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, podIdentityStats, putAwsSecret, putBaoKubernetesRole, putBaoPolicy, putBaoSecret, registerPodIdentity, sentinel, sha256 } from '../harness/index.ts';
import { installEsi } from '../harness/pods/esi.ts';
import { podApi, podCluster, type PodClusterInfo } from '../harness/pods/index.ts';
import { MOUNT, appContainer, awsFixture, eventually, expectNoLeak, fileMode, fmtMs, podNamespace, rotationSeen, startApp } from './pods-helpers.ts';

let info: PodClusterInfo;

beforeAll(async () => {
  info = await podCluster();
  await installEsi(info);
}, 900_000);

/** A KV v2 secret `pods/<ns>/db` {password}, a read policy and a role for SA `app` of `ns` on the pod cluster's mount. */
async function vaultFixture(ns: string, value: string, role: { audience: string | null }) {
  const path = `pods/${ns}/db`;
  await putBaoSecret('secret', path, { password: value });
  await putBaoPolicy(`pods-${ns}`, `path "secret/data/pods/${ns}/*" { capabilities = ["read"] }`);
  await putBaoKubernetesRole(`pods-${ns}`, { namespaces: [ns], serviceAccounts: ['app'], policies: [`pods-${ns}`], audience: role.audience, mount: info.baoKubernetesMount });
  await podApi(info, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app' } });
  const externalSecret = {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db' },
    spec: {
      refreshInterval: '1h', secretStoreRef: { name: 'bao', kind: 'SecretStore' }, target: { name: 'db' },
      data: [{ secretKey: 'password', remoteRef: { key: path, property: 'password' } }],
    },
  };
  await podApi(info, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets`, externalSecret);
  return {
    path,
    role: `pods-${ns}`,
    store: (auth: Record<string, unknown>) => podApi(info, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/secretstores`, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'bao' },
      spec: { provider: { vault: { server: info.baoUrl, path: 'secret', version: 'v2', auth: { kubernetes: { mountPath: info.baoKubernetesMount, role: `pods-${ns}`, ...auth } } } } },
    }),
  };
}

const podSpec = { serviceAccountName: 'app', terminationGracePeriodSeconds: 2 };

describe('backend identities on running pods', () => {
  it('Vault Kubernetes auth with the pod\'s projected token: files, mode 0444, rotation seen in place', async () => {
    const ns = await podNamespace(info, 'pods-vault');
    const v1 = sentinel('pods-vault-v1');
    const v2 = sentinel('pods-vault-v2');
    const f = await vaultFixture(ns, v1, { audience: 'vault' });
    await f.store({ serviceAccountRef: { name: 'app', audiences: ['vault'] } });
    const app = await startApp(info, ns, 'app', {
      annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': '2s' },
      spec: podSpec,
      containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`)],
    });
    expect(app.firstSeen.text).toBe(`app sees ${sha256(v1)}`);
    // The README's default mode, as the app (uid 1000, no fsGroup shared with the agent) sees it.
    expect(await fileMode(info, ns, 'app', 'app', `${MOUNT}/db/password`)).toBe('444');
    const r = await rotationSeen(info, ns, app.pod, 'app', sha256(v2), () => putBaoSecret('secret', f.path, { password: v2 }));
    await expectNoLeak(info, ns, 'app', [v1, v2], { containers: ['app', 'esi-agent'], envOf: ['app'] });
    console.log(`[pods] vault-kubernetes (projected token): pod creation → app start ${fmtMs(app.started.at - app.created)}; ` +
      `rotation in OpenBao → seen inside the app ${fmtMs(r.lagMs)} (refresh-interval 2s)`);
  }, 240_000);

  it('Vault Kubernetes auth.secretRef without key: the token Secret\'s `token` logs the pod in', async () => {
    const ns = await podNamespace(info, 'pods-vault-ref');
    const v1 = sentinel('pods-vault-ref');
    // A service-account token Secret, filled by kube-controller-manager's token controller under `token`:
    // the shape ESO's docs use for auth.kubernetes.secretRef. Its JWT has no audience of its own.
    const f = await vaultFixture(ns, v1, { audience: null });
    await podApi(info, 'POST', `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: 'vault-jwt', annotations: { 'kubernetes.io/service-account.name': 'app' } },
    });
    await eventually('the token controller to fill vault-jwt', 30_000, async () =>
      (await podApi<{ data?: Record<string, string> }>(info, 'GET', `/api/v1/namespaces/${ns}/secrets/vault-jwt`)).body.data?.['token'] ? true : undefined);
    await f.store({ secretRef: { name: 'vault-jwt' } });
    const app = await startApp(info, ns, 'app', {
      annotations: { 'esi.dev/external-secrets': 'db' },
      spec: podSpec,
      containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`)],
    });
    expect(app.firstSeen.text).toBe(`app sees ${sha256(v1)}`);
    // The JWT reached the agent as secretKeyRef env on key `token` (the default), not the app.
    const agentEnv = (app.pod.spec.initContainers as { name: string; env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }[] | undefined)
      ?.find((c) => c.name === 'esi-agent')?.env ?? [];
    expect(agentEnv.map((e) => e.valueFrom?.secretKeyRef).filter(Boolean)).toContainEqual({ name: 'vault-jwt', key: 'token' });
    await expectNoLeak(info, ns, 'app', [v1], { containers: ['app', 'esi-agent'], envOf: ['app'] });
    console.log(`[pods] vault-kubernetes (secretRef, default key): pod creation → app start ${fmtMs(app.started.at - app.created)}`);
  }, 180_000);

  it('EKS Pod Identity through the emulator at EKS\'s address: files and a rotation seen in place', async () => {
    const ns = await podNamespace(info, 'pods-podid');
    const v1 = sentinel('pods-podid-v1');
    const v2 = sentinel('pods-podid-v2');
    const f = await awsFixture(info, ns, harness(), putAwsSecret, v1, 'pod-identity');
    await registerPodIdentity(ns, 'app', f.roleArn);
    const app = await startApp(info, ns, 'app', {
      annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': '2s' },
      spec: f.podSpec,
      containers: [appContainer(info.images.busybox, `${MOUNT}/db/password`, { env: f.env, volumeMounts: f.volumeMounts })],
    });
    expect(app.firstSeen.text).toBe(`app sees ${sha256(v1)}`);
    // The agent's credentials came from the emulator, for this pod's service account.
    expect((await podIdentityStats(ns, 'app')).served).toBeGreaterThan(0);
    const r = await rotationSeen(info, ns, app.pod, 'app', sha256(v2), () => putAwsSecret(f.secretName, v2));
    await expectNoLeak(info, ns, 'app', [v1, v2], { containers: ['app', 'esi-agent'], envOf: ['app'] });
    console.log(`[pods] eks-pod-identity: pod creation → app start ${fmtMs(app.started.at - app.created)}; ` +
      `rotation in moto → seen inside the app ${fmtMs(r.lagMs)} (refresh-interval 2s)`);
  }, 240_000);
});
