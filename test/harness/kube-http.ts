// A minimal Kubernetes REST client for the harness itself (admin client cert over TLS to 127.0.0.1).
// Test files can use it too, or `kubeClient()` for @kubernetes/client-node.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface KubeAccess {
  server: string;
  caPath: string;
  certPath?: string;
  keyPath?: string;
  token?: string;
}

export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  constructor(method: string, path: string, status: number, body: unknown) {
    const b = body as { message?: string; reason?: string } | undefined;
    super(`kube-apiserver ${method} ${path.split('?')[0]} → HTTP ${status}${b?.message ? `: ${b.message.slice(0, 400)}` : ''}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = b?.reason;
  }
}

export interface KubeResponse<T> {
  status: number;
  body: T;
}

/** Sends one request; resolves for any status (callers decide), rejects on transport errors. */
export function kubeRaw<T = unknown>(
  access: KubeAccess,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; timeoutMs?: number } = {},
): Promise<KubeResponse<T>> {
  const url = new URL(path, access.server);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (access.token) headers['authorization'] = `Bearer ${access.token}`;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers,
        ca: readFileSync(access.caPath),
        ...(access.certPath ? { cert: readFileSync(access.certPath), key: readFileSync(access.keyPath!) } : {}),
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON (e.g. /readyz) */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like kubeRaw but throws KubeApiError unless the status is 2xx (or listed in `allow`). */
export async function kubeApi<T = unknown>(
  access: KubeAccess,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; allow?: number[]; timeoutMs?: number } = {},
): Promise<KubeResponse<T>> {
  const r = await kubeRaw<T>(access, method, path, body, opts);
  if ((r.status < 200 || r.status > 299) && !(opts.allow ?? []).includes(r.status)) {
    throw new KubeApiError(method, path, r.status, r.body);
  }
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
