// The harness's admin access to its kube-apiserver: the kube/ client, given file paths (as the harness
// writes them) instead of PEM bytes. Test files use kubeApi/kubeRaw, or adminClient() for request/watch.
import { readFileSync } from 'node:fs';
import { KubeClient, kubeError, type KubeResponse, type SendOptions } from '../../kube/index.ts';

export { KubeError as KubeApiError, type KubeResponse } from '../../kube/index.ts';

/** File paths of the admin client certificate (or a token) and the run's CA. */
export interface KubeAccess {
  server: string;
  caPath: string;
  certPath?: string;
  keyPath?: string;
  token?: string;
}

/** A kube/ client for `access`; the files are read now (the harness's certificates do not change). */
export function kubeClientFor(access: KubeAccess, timeoutMs = 30_000): KubeClient {
  return new KubeClient(
    {
      server: access.server,
      ca: readFileSync(access.caPath),
      ...(access.certPath ? { cert: readFileSync(access.certPath), key: readFileSync(access.keyPath!) } : {}),
      ...(access.token ? { token: access.token } : {}),
    },
    { timeoutMs, userAgent: 'esi-e2e-harness' },
  );
}

/** Sends one request; resolves for any status (callers decide), rejects on transport errors. */
export function kubeRaw<T = unknown>(access: KubeAccess, method: string, path: string, body?: unknown, opts: SendOptions = {}): Promise<KubeResponse<T>> {
  return kubeClientFor(access).send<T>(method, path, body, opts);
}

/** Like kubeRaw but throws KubeApiError (kube/'s KubeError) unless the status is 2xx (or listed in `allow`). */
export async function kubeApi<T = unknown>(
  access: KubeAccess,
  method: string,
  path: string,
  body?: unknown,
  opts: SendOptions & { allow?: number[] } = {},
): Promise<KubeResponse<T>> {
  const { allow = [], ...sendOpts } = opts;
  const r = await kubeRaw<T>(access, method, path, body, sendOpts);
  if ((r.status < 200 || r.status > 299) && !allow.includes(r.status)) throw kubeError(method, path, r);
  return r;
}

/** TokenRequest: a bound service-account token for the given audiences. */
export async function requestToken(
  access: KubeAccess,
  namespace: string,
  serviceAccount: string,
  audiences: string[],
  expirationSeconds = 3600,
): Promise<string> {
  const r = await kubeApi<{ status: { token: string } }>(
    access,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences, expirationSeconds } },
  );
  return r.body.status.token;
}

export async function ensureServiceAccount(access: KubeAccess, namespace: string, name: string): Promise<void> {
  await kubeApi(access, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts`,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }, { allow: [409] });
}

export async function ensureNamespace(access: KubeAccess, name: string, labels: Record<string, string> = {}): Promise<void> {
  await kubeApi(access, 'POST', '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }, { allow: [409] });
}

export interface TokenReviewResult {
  authenticated: boolean;
  username?: string;
  audiences?: string[];
  error?: string;
}

export async function tokenReview(access: KubeAccess, token: string, audiences: string[]): Promise<TokenReviewResult> {
  const r = await kubeApi<{ status: { authenticated?: boolean; user?: { username?: string }; audiences?: string[]; error?: string } }>(
    access, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } },
  );
  const s = r.body.status ?? {};
  return { authenticated: s.authenticated === true, username: s.user?.username, audiences: s.audiences, error: s.error };
}
