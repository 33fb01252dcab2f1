// OpenBao dev server with KV v2 at secret/, KV v1 at kv1/, and Kubernetes auth that does TokenReview
// against the test apiserver through a dedicated reviewer ServiceAccount.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureNamespace, ensureServiceAccount, kubeApi, requestToken, type KubeAccess } from './kube-http.ts';
import { freePortPair, spawnLogged, stopProcess, waitReady, ComponentError, type ManagedProcess } from './processes.ts';

export interface OpenBao {
  proc: ManagedProcess;
  url: string;
  rootToken: string;
}

export const HARNESS_NAMESPACE = 'esi-e2e-system';

/** One call to the OpenBao HTTP API with a token; throws with path and status (never the body of a read). */
export async function baoApi(url: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(`${url}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await r.text();
  if (!r.ok) {
    let errors = '';
    try {
      errors = ((JSON.parse(text) as { errors?: string[] }).errors ?? []).join('; ').slice(0, 300);
    } catch {
      /* not JSON */
    }
    throw new Error(`OpenBao ${method} /v1/${path} → HTTP ${r.status}${errors ? `: ${errors}` : ''}`);
  }
  return text ? JSON.parse(text) : undefined;
}

export async function startOpenBao(o: { bin: string; runDir: string; logDir: string; timeoutMs?: number }): Promise<OpenBao> {
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  const port = await freePortPair();
  const url = `http://127.0.0.1:${port}`;
  const proc = await spawnLogged({
    name: 'openbao',
    command: o.bin,
    args: ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: o.runDir },
    cwd: o.runDir,
    logPath: join(o.logDir, 'openbao.log'),
  });
  try {
    await waitReady(proc, 'GET /v1/sys/health', o.timeoutMs ?? 60_000, async () =>
      (await fetch(`${url}/v1/sys/health`, { signal: AbortSignal.timeout(2000) })).status === 200);
  } catch (e) {
    await stopProcess(proc, 2000);
    throw e;
  }
  return { proc, url, rootToken };
}

/** Mounts, Kubernetes auth (reviewer SA bound to system:auth-delegator) — all in memory, once per run. */
export async function configureOpenBao(bao: OpenBao, kube: KubeAccess): Promise<void> {
  const call = (m: string, p: string, b?: unknown) => baoApi(bao.url, bao.rootToken, m, p, b);
  try {
    await call('POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
    await configureKubernetesAuth(bao, kube, 'kubernetes');
  } catch (e) {
    throw new ComponentError('openbao', `configuration failed: ${(e as Error).message}`, bao.proc.logPath);
  }
}

/**
 * A Kubernetes auth mount whose TokenReviews go to `kube` through a dedicated reviewer ServiceAccount
 * (bound to system:auth-delegator there). One mount per apiserver: the shared one (`kubernetes`) and the
 * real-pod cluster's, whose pods' tokens only that apiserver can review.
 */
export async function configureKubernetesAuth(bao: { url: string; rootToken: string }, kube: KubeAccess, mount: string): Promise<void> {
  const call = (m: string, p: string, b?: unknown) => baoApi(bao.url, bao.rootToken, m, p, b);
  await call('POST', `sys/auth/${mount}`, { type: 'kubernetes' });
  await ensureNamespace(kube, HARNESS_NAMESPACE);
  await ensureServiceAccount(kube, HARNESS_NAMESPACE, 'openbao-token-reviewer');
  await kubeApi(kube, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'esi-e2e-openbao-token-reviewer' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
    subjects: [{ kind: 'ServiceAccount', name: 'openbao-token-reviewer', namespace: HARNESS_NAMESPACE }],
  }, { allow: [409] });
  const reviewerJwt = await requestToken(kube, HARNESS_NAMESPACE, 'openbao-token-reviewer', [], 86_400);
  await call('POST', `auth/${mount}/config`, {
    kubernetes_host: kube.server,
    kubernetes_ca_cert: await readFile(kube.caPath, 'utf8'),
    token_reviewer_jwt: reviewerJwt,
    disable_local_ca_jwt: true,
  });
}
