/**
 * Where the Kubernetes API is and how to authenticate: the pod's own service account, or a
 * kubeconfig's current context. The YAML parser loads only when a kubeconfig is read, so an agent in a
 * pod (service account) never pays for it.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { EsiError } from '../core/index.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Env: a kubeconfig for API calls when not in a cluster (tests, workstation runs); wins over KUBECONFIG. */
export const ENV_KUBECONFIG = 'ESI_KUBECONFIG';

export interface KubeAccess {
  /** e.g. `https://10.0.0.1:443` */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  token?: string;
  /** Re-read periodically: projected service-account tokens rotate. */
  tokenFile?: string;
}

/** The pod's own API access; undefined when not in a cluster (KUBERNETES_SERVICE_HOST unset). */
export function inClusterAccess(env: Record<string, string | undefined>, saDir = SERVICE_ACCOUNT_DIR): KubeAccess | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (!host) return undefined;
  const port = env['KUBERNETES_SERVICE_PORT'] || '443';
  let ca: Buffer | undefined;
  try {
    ca = readFileSync(join(saDir, 'ca.crt'));
  } catch {
    ca = undefined; // system roots then
  }
  return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ...(ca ? { ca } : {}), tokenFile: join(saDir, 'token') };
}

type Fields = Record<string, unknown>;
interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name: string; cluster?: Fields }[];
  users?: { name: string; user?: Fields }[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Access from a kubeconfig file's current context (else its first context): server, CA (file or data),
 * insecure-skip-tls-verify, client certificate and key (files or data), token or tokenFile. Relative file
 * paths are relative to the kubeconfig's directory, as kubectl does. Errors name the file and field,
 * never the file's content.
 */
export async function kubeconfigAccess(path: string): Promise<KubeAccess> {
  let doc: KubeconfigDoc;
  try {
    // In the bundle `yaml` (CommonJS) arrives as a namespace whose only export is `default`.
    const m = await import('yaml');
    const parse = typeof m.parse === 'function' ? m.parse : (m as unknown as { default: typeof m }).default.parse;
    doc = (parse(readFileSync(path, 'utf8')) ?? {}) as KubeconfigDoc;
  } catch (e) {
    // First line only: the YAML parser's later lines quote the file (which may hold a token).
    throw new EsiError('kubeconfig', `kubeconfig ${path}: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new EsiError('kubeconfig', `kubeconfig ${path}: not a kubeconfig document`);
  const ctxName = doc['current-context'] || doc.contexts?.[0]?.name;
  const ctx = doc.contexts?.find((c) => c?.name === ctxName)?.context;
  const clusterName = ctx?.cluster ?? doc.clusters?.[0]?.name;
  const userName = ctx?.user ?? doc.users?.[0]?.name;
  const cluster = doc.clusters?.find((c) => c?.name === clusterName)?.cluster ?? {};
  const user = doc.users?.find((u) => u?.name === userName)?.user ?? {};
  const server = str(cluster['server']);
  if (!server) throw new EsiError('kubeconfig', `kubeconfig ${path}: no cluster server for context ${JSON.stringify(ctxName ?? '')}`);
  const rel = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
  const fileOrData = (fields: Fields, fileField: string): Buffer | undefined => {
    const data = str(fields[`${fileField}-data`]);
    if (data) return Buffer.from(data, 'base64');
    const file = str(fields[fileField]);
    if (!file) return undefined;
    try {
      return readFileSync(rel(file));
    } catch (e) {
      throw new EsiError('kubeconfig', `kubeconfig ${path}: ${fileField} ${rel(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const ca = fileOrData(cluster, 'certificate-authority');
  const cert = fileOrData(user, 'client-certificate');
  const key = fileOrData(user, 'client-key');
  const token = str(user['token']);
  const tokenFile = str(user['tokenFile']);
  if (!token && !tokenFile && !cert && (user['exec'] || user['auth-provider'])) {
    throw new EsiError('kubeconfig', `kubeconfig ${path}: user ${JSON.stringify(userName ?? '')}: exec and auth-provider credentials are not supported (use a token, tokenFile or client certificate)`);
  }
  return {
    server,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecure: true } : {}),
    ...(token ? { token } : {}),
    ...(tokenFile ? { tokenFile: rel(tokenFile) } : {}),
  };
}
