/**
 * A tiny Kubernetes API client: the agent runs in every pod, so instead of @kubernetes/client-node
 * (tens of MiB of RSS) it makes its four kinds of calls (GET/POST/PUT/DELETE one Secret, POST an Event)
 * over node:https with the pod's service-account token and CA, or a kubeconfig for tests and
 * workstation runs. The token file is re-read (projected tokens rotate).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { EsiError } from '../core/index.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Env: a kubeconfig for the agent's API calls when not in a cluster (tests, `esi agent --pod`). */
export const ENV_KUBECONFIG = 'ESI_KUBECONFIG';

export interface KubeAccess {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  token?: string;
  tokenFile?: string;
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

export class KubeClient {
  readonly access: KubeAccess;
  readonly #timeoutMs: number;
  #token: { value: string; readAt: number } | undefined;

  constructor(access: KubeAccess, opts: { timeoutMs?: number } = {}) {
    this.access = access;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  #bearer(): string | undefined {
    if (this.access.token) return this.access.token;
    if (!this.access.tokenFile) return undefined;
    const now = Date.now();
    if (!this.#token || now - this.#token.readAt > 60_000) {
      this.#token = { value: readFileSync(this.access.tokenFile, 'utf8').trim(), readAt: now };
    }
    return this.#token.value;
  }

  request(method: string, path: string, body?: unknown): Promise<KubeResponse> {
    const url = new URL(path, this.access.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'esi-agent' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const bearer = this.#bearer();
    if (bearer) headers['authorization'] = `Bearer ${bearer}`;
    const tls = url.protocol === 'https:';
    const send = tls ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          timeout: this.#timeoutMs,
          ...(tls
            ? {
                ...(this.access.ca ? { ca: this.access.ca } : {}),
                ...(this.access.cert ? { cert: this.access.cert } : {}),
                ...(this.access.key ? { key: this.access.key } : {}),
                rejectUnauthorized: !this.access.insecure,
              }
            : {}),
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
              // non-JSON error bodies stay text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new EsiError('kube-timeout', `kube-apiserver ${method} ${url.pathname}: timed out after ${this.#timeoutMs} ms`)));
      req.on('error', (e) => reject(e instanceof EsiError ? e : new EsiError('kube-unreachable', `kube-apiserver ${method} ${url.pathname}: ${e.message}`)));
      req.end(payload);
    });
  }
}

export function kubeError(method: string, path: string, r: KubeResponse): EsiError {
  const b = r.body as { message?: string; reason?: string } | undefined;
  const code = r.status === 403 ? 'kube-forbidden' : r.status === 409 ? 'kube-conflict' : 'kube';
  return new EsiError(code, `kube-apiserver ${method} ${path.split('?')[0]}: HTTP ${r.status}${b?.message ? `: ${String(b.message).slice(0, 300)}` : ''}`);
}

/** The pod's own API access, when running in a cluster. */
export function inClusterAccess(env: Record<string, string | undefined>, saDir = SERVICE_ACCOUNT_DIR): KubeAccess | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (!host) return undefined;
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  let ca: Buffer | undefined;
  try {
    ca = readFileSync(join(saDir, 'ca.crt'));
  } catch {
    ca = undefined;
  }
  return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ...(ca ? { ca } : {}), tokenFile: join(saDir, 'token') };
}

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean } }[];
  users?: { name: string; user: { token?: string; tokenFile?: string; 'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string } }[];
}

/**
 * Access from a kubeconfig file's current context (token, token file or client certificate). The YAML
 * parser loads only here: in a pod the agent uses its service account and never pays for it.
 */
export async function kubeconfigAccess(path: string): Promise<KubeAccess> {
  let doc: KubeconfigDoc;
  try {
    const { parse: parseYaml } = await import('yaml');
    doc = parseYaml(readFileSync(path, 'utf8')) as KubeconfigDoc;
  } catch (e) {
    throw new EsiError('kubeconfig', `kubeconfig ${path}: ${(e as Error).message}`);
  }
  const ctxName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  const cluster = doc.clusters?.find((c) => c.name === (ctx?.cluster ?? doc.clusters?.[0]?.name))?.cluster;
  const user = doc.users?.find((u) => u.name === (ctx?.user ?? doc.users?.[0]?.name))?.user ?? {};
  if (!cluster?.server) throw new EsiError('kubeconfig', `kubeconfig ${path}: no cluster server for context ${JSON.stringify(ctxName ?? '')}`);
  const rel = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
  const fileOrData = (file?: string, data?: string) => (data ? Buffer.from(data, 'base64') : file ? readFileSync(rel(file)) : undefined);
  const ca = fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data']);
  const cert = fileOrData(user['client-certificate'], user['client-certificate-data']);
  const key = fileOrData(user['client-key'], user['client-key-data']);
  return {
    server: cluster.server,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(cluster['insecure-skip-tls-verify'] ? { insecure: true } : {}),
    ...(user.token ? { token: user.token } : {}),
    ...(user.tokenFile ? { tokenFile: rel(user.tokenFile) } : {}),
  };
}

/** In a cluster: the pod's service account. Else ESI_KUBECONFIG, then KUBECONFIG. Else none. */
export async function kubeClientFromEnv(env: Record<string, string | undefined>): Promise<KubeClient | undefined> {
  const inCluster = inClusterAccess(env);
  if (inCluster) return new KubeClient(inCluster);
  const path = env[ENV_KUBECONFIG] ?? env['KUBECONFIG']?.split(':')[0];
  if (path) return new KubeClient(await kubeconfigAccess(path));
  return undefined;
}
