// Shared by the pod suites (pods-*.test.ts): namespaces, the app container every scenario runs, and the
// evidence a running pod gives — container logs with the kubelet's timestamps, container statuses, exec.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { expect } from 'vitest';
import { IRSA_AUDIENCE, POD_IDENTITY_AUDIENCE } from '../harness/index.ts';
import { diagnose } from '../harness/pods/esi.ts';
import { kubectl, podApi, type PodClusterInfo } from '../harness/pods/index.ts';

export const MOUNT = '/var/run/secrets/esi';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function podNamespace(info: PodClusterInfo, prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await podApi(info, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  return name;
}

/**
 * The app: a busybox shell that logs `app started`, then `app sees <sha256>` each time the file's hash
 * changes (checked every 0.2 s) — never the value. Runs as a non-root user, restricted-PSS ready.
 */
export function appContainer(image: string, file: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const script = [
    'echo app started',
    'p=none',
    'while true; do',
    `  h=$(sha256sum ${file} 2>/dev/null | cut -c1-64)`,
    '  [ -n "$h" ] || h=missing',
    '  if [ "$h" != "$p" ]; then echo "app sees $h"; p=$h; fi',
    '  usleep 200000',
    'done',
  ].join('\n');
  return {
    name: 'app',
    image,
    imagePullPolicy: 'Never',
    command: ['/bin/sh', '-c', script],
    securityContext: {
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    },
    ...extra,
  };
}

export interface LogLine {
  at: number;
  text: string;
}

/** A container's log lines with the kubelet's receive timestamps (RFC 3339, ns precision). */
export async function containerLog(info: PodClusterInfo, ns: string, pod: string, container: string): Promise<LogLine[]> {
  const text = await kubectl(info, ['-n', ns, 'logs', pod, '-c', container, '--timestamps']);
  return text.split('\n').filter(Boolean).map((l) => {
    const i = l.indexOf(' ');
    return { at: Date.parse(l.slice(0, i)), text: l.slice(i + 1) };
  });
}

/** Polls `f` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export interface ContainerStatus {
  name: string;
  containerID?: string;
  restartCount: number;
  started?: boolean;
  ready: boolean;
  state: { running?: { startedAt: string }; terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string }; waiting?: { reason?: string } };
  lastState?: { terminated?: { exitCode: number; reason?: string; message?: string } };
}

export interface PodView {
  metadata: { name: string; uid: string; creationTimestamp: string; annotations?: Record<string, string> };
  spec: { containers: { name: string; env?: { name: string; value?: string }[] }[]; initContainers?: { name: string; env?: { name: string; value?: string }[]; ports?: { containerPort: number; hostPort?: number }[] }[] };
  status: { phase: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}

export async function podsWithLabel(info: PodClusterInfo, ns: string, selector: string): Promise<PodView[]> {
  const r = await podApi<{ items: PodView[] }>(info, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`);
  return r.body.items;
}

export function status(pod: PodView, container: string): ContainerStatus | undefined {
  return [...(pod.status.containerStatuses ?? []), ...(pod.status.initContainerStatuses ?? [])].find((s) => s.name === container);
}

/** Waits for the only pod matching `selector` to be Ready; returns it. */
export async function readyPod(info: PodClusterInfo, ns: string, selector: string, timeoutMs = 120_000): Promise<PodView> {
  try {
    return await eventually(`a Ready pod ${selector} in ${ns}`, timeoutMs, async () => {
      const pods = await podsWithLabel(info, ns, selector);
      return pods.find((p) => (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await diagnose(info, ns)}`);
  }
}

/** `kubectl exec` into a container; returns stdout. */
export function exec(info: PodClusterInfo, ns: string, pod: string, container: string, cmd: string[]): Promise<string> {
  return kubectl(info, ['-n', ns, 'exec', pod, '-c', container, '--', ...cmd]);
}

export const fmtMs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * An AWS Secrets Manager secret in moto, a SecretStore and an ExternalSecret `db` (key `password`) in `ns`,
 * service account `app`, and its identity pieces (awsPodIdentity; for Pod Identity register the
 * association separately).
 */
export async function awsFixture(info: PodClusterInfo, ns: string, h: { awsRegion: string; awsAccountId: string }, put: (name: string, v: string) => Promise<unknown>, value: string, identity: 'irsa' | 'pod-identity' = 'irsa') {
  const secretName = `pods/${ns}/db`;
  await put(secretName, value);
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
  const id = awsPodIdentity(info, h, identity);
  return { secretName, ...id, podSpec: { ...id.podSpec, serviceAccountName: 'app' } };
}

/**
 * What the EKS webhooks add to a pod for its AWS identity: IRSA (role env, a token with audience
 * sts.amazonaws.com for moto's STS) or EKS Pod Identity (the emulator's URL at EKS's address, a token
 * with audience pods.eks.amazonaws.com); endpoints aimed at moto.
 */
export function awsPodIdentity(info: PodClusterInfo, h: { awsRegion: string; awsAccountId: string }, identity: 'irsa' | 'pod-identity' = 'irsa') {
  const irsa = identity === 'irsa';
  const tokenDir = irsa ? '/var/run/secrets/eks.amazonaws.com/serviceaccount' : '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
  const tokenFile = irsa ? 'token' : 'eks-pod-identity-token';
  const roleArn = `arn:aws:iam::${h.awsAccountId}:role/pods-app`;
  return {
    roleArn,
    env: [
      ...(irsa
        ? [{ name: 'AWS_ROLE_ARN', value: roleArn }, { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${tokenDir}/${tokenFile}` }]
        : [{ name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: info.podIdentityUrl }, { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: `${tokenDir}/${tokenFile}` }]),
      { name: 'AWS_REGION', value: h.awsRegion },
      { name: 'AWS_ENDPOINT_URL', value: info.motoUrl },
    ],
    volumeMounts: [{ name: 'aws-iam-token', mountPath: tokenDir, readOnly: true }],
    podSpec: {
      terminationGracePeriodSeconds: 2,
      // The projected token is 0600 root unless an fsGroup makes it group-readable: app and agent run as
      // different users (the usual IRSA advice for non-root containers).
      securityContext: { fsGroup: 2000 },
      volumes: [{ name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: irsa ? IRSA_AUDIENCE : POD_IDENTITY_AUDIENCE, expirationSeconds: 86_400, path: tokenFile } }] } }],
    },
  };
}

/**
 * The values appear nowhere but in the files: not in the logs of `containers`, the namespace's Events, the
 * pod's annotations and spec, or the env of `envOf` (raw or base64). Returns the places it read.
 */
export async function expectNoLeak(info: PodClusterInfo, ns: string, pod: string, values: string[], o: { containers: string[]; envOf: string[] }): Promise<Record<string, string>> {
  const p = (await podApi<PodView>(info, 'GET', `/api/v1/namespaces/${ns}/pods/${pod}`)).body;
  const places: Record<string, string> = {
    annotations: JSON.stringify(p.metadata.annotations ?? {}),
    events: await kubectl(info, ['-n', ns, 'get', 'events', '-o', 'json']),
    'pod spec': JSON.stringify(p.spec),
  };
  for (const c of o.envOf) places[`${c} env`] = await exec(info, ns, pod, c, ['env']);
  for (const c of o.containers) places[`${c} log`] = (await containerLog(info, ns, pod, c)).map((l) => l.text).join('\n');
  for (const [where, text] of Object.entries(places)) {
    for (const v of values) {
      expect(text.includes(v), `value in ${where}`).toBe(false);
      expect(text.includes(Buffer.from(v).toString('base64')), `base64 value in ${where}`).toBe(false);
    }
  }
  return places;
}

/** Permission bits of a file as a container sees it (following the per-key symlink), e.g. `444`. */
export async function fileMode(info: PodClusterInfo, ns: string, pod: string, container: string, path: string): Promise<string> {
  return (await exec(info, ns, pod, container, ['stat', '-L', '-c', '%a', path])).trim();
}

export interface StartedApp {
  pod: PodView;
  /** When the test created the pod, and the app's first log lines (kubelet timestamps). */
  created: number;
  started: LogLine;
  firstSeen: LogLine;
}

/**
 * Creates Pod `name` (label app=<name>, opted in) running `containers` (the first is the app that logs
 * `app started` / `app sees <hash>`), waits for Ready and the app's first look at its file.
 */
export async function startApp(info: PodClusterInfo, ns: string, name: string, o: { annotations: Record<string, string>; spec: Record<string, unknown>; containers: Record<string, unknown>[] }): Promise<StartedApp> {
  const created = Date.now();
  await podApi(info, 'POST', `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { app: name, 'esi.dev/inject': 'true' }, annotations: o.annotations },
    spec: { ...o.spec, containers: o.containers },
  });
  const pod = await readyPod(info, ns, `app=${name}`, 90_000);
  const app = String(o.containers[0]!['name']);
  const { started, firstSeen } = await eventually(`${name}: the app to log what it sees`, 30_000, async () => {
    const lines = await containerLog(info, ns, name, app);
    const s = lines.find((l) => l.text === 'app started');
    const f = lines.find((l) => l.text.startsWith('app sees '));
    return s && f ? { started: s, firstSeen: f } : undefined;
  });
  return { pod, created, started, firstSeen };
}

/**
 * Runs `rotate` (a change in the backend) and waits until the running app logs the new hash; the app
 * container is the same one (container ID) and never restarted. Returns the lag and the pod after it.
 */
export async function rotationSeen(info: PodClusterInfo, ns: string, before: PodView, app: string, newHash: string, rotate: () => Promise<unknown>): Promise<{ lagMs: number; at: number; after: PodView }> {
  const name = before.metadata.name;
  const t0 = Date.now();
  await rotate();
  const seen = await eventually(`${name}: the app to see the rotated value`, 60_000, async () =>
    (await containerLog(info, ns, name, app)).find((l) => l.text === `app sees ${newHash}`));
  const after = (await podApi<PodView>(info, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
  expect(status(after, app)!.containerID, 'the same app container').toBe(status(before, app)!.containerID);
  expect(status(after, app)!.restartCount).toBe(0);
  expect(status(after, 'esi-agent')?.restartCount ?? 0).toBe(0);
  return { lagMs: seen.at - t0, at: seen.at, after };
}

/**
 * A TCP forwarder on the node address to a backend on the host's loopback, owned by one test: `block()`
 * stops listening and cuts every open connection (the pod's next request is refused, as when the backend
 * is down), `unblock()` listens on the same port again. The shared backend itself is never touched.
 */
export async function blockableForward(nodeIp: string, target: string): Promise<{ url: string; block(): Promise<void>; unblock(): Promise<void>; close(): Promise<void> }> {
  const t = new URL(target);
  const open = new Set<Socket>();
  const server = createServer((c) => {
    const up = connect(Number(t.port), t.hostname);
    open.add(c).add(up);
    const end = () => {
      c.destroy();
      up.destroy();
      open.delete(c);
      open.delete(up);
    };
    c.pipe(up).pipe(c);
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, nodeIp, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const stop = () => new Promise<void>((resolve) => {
    for (const s of open) s.destroy();
    open.clear();
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  return { url: `${t.protocol}//${nodeIp}:${port}`, block: stop, unblock: () => listen(port), close: stop };
}

/** The RBAC the README names as every injected pod's minimum: its agent may record Events on its pod. */
export async function grantEvents(info: PodClusterInfo, ns: string, serviceAccount: string): Promise<void> {
  await podApi(info, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'esi-agent-events' },
    rules: [{ apiGroups: [''], resources: ['events'], verbs: ['create'] }],
  });
  await podApi(info, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'esi-agent-events' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'esi-agent-events' },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: ns }],
  });
}

export function isReady(pod: PodView): boolean {
  return (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export async function getPod(info: PodClusterInfo, ns: string, name: string): Promise<PodView> {
  return (await podApi<PodView>(info, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
}
