/**
 * A small Kubernetes API client for the webhook: requests, and list+watch reflectors that keep a cache.
 * Written on node:https rather than @kubernetes/client-node, whose 2.x needs Node >= 22.19 (undici 8)
 * and which the webhook needs only four verbs of. Kubeconfig (current context: client certificate,
 * token or token file) or the in-cluster service account.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EsiError, type KubeObject } from '../core/index.ts';

export interface KubeAccess {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  token?: string;
  tokenFile?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inClusterAccess(env: Record<string, string | undefined>): KubeAccess {
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (!host) throw new EsiError('kubeconfig', 'not in a cluster (KUBERNETES_SERVICE_HOST is unset) and no --kubeconfig given');
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ca: readFileSync(join(SA_DIR, 'ca.crt')), tokenFile: join(SA_DIR, 'token') };
}

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: Record<string, string | boolean | undefined> & { server: string } }[];
  users?: { name: string; user: Record<string, string | undefined> }[];
}

export function kubeconfigAccess(path: string): KubeAccess {
  let doc: KubeconfigDoc;
  try {
    doc = parseYaml(readFileSync(path, 'utf8')) as KubeconfigDoc;
  } catch (e) {
    throw new EsiError('kubeconfig', `kubeconfig ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const ctxName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  const cluster = doc.clusters?.find((c) => c.name === (ctx?.cluster ?? doc.clusters?.[0]?.name))?.cluster;
  const user = doc.users?.find((u) => u.name === (ctx?.user ?? doc.users?.[0]?.name))?.user ?? {};
  if (!cluster?.server) throw new EsiError('kubeconfig', `kubeconfig ${path}: no cluster server for context ${JSON.stringify(ctxName ?? '')}`);
  const rel = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
  const fileOrData = (file: unknown, data: unknown) =>
    typeof data === 'string' && data ? Buffer.from(data, 'base64') : typeof file === 'string' && file ? readFileSync(rel(file)) : undefined;
  const ca = fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data']);
  const cert = fileOrData(user['client-certificate'], user['client-certificate-data']);
  const key = fileOrData(user['client-key'], user['client-key-data']);
  return {
    server: cluster.server,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecure: true } : {}),
    ...(user['token'] ? { token: user['token'] } : {}),
    ...(user['tokenFile'] ? { tokenFile: rel(user['tokenFile']) } : {}),
  };
}

export class KubeError extends EsiError {
  constructor(readonly status: number, method: string, path: string, message: string) {
    super(status === 403 ? 'kube-forbidden' : status === 404 ? 'kube-not-found' : 'kube', `kube-apiserver ${method} ${path.split('?')[0]}: HTTP ${status}${message ? `: ${message.slice(0, 300)}` : ''}`);
  }
}

export class KubeClient {
  #token: { value: string; at: number } | undefined;
  constructor(readonly access: KubeAccess, readonly timeoutMs = 10_000) {}

  #options(method: string, path: string, headers: Record<string, string>): RequestOptions & { url: URL } {
    const url = new URL(path, this.access.server);
    const a = this.access;
    let bearer = a.token;
    if (!bearer && a.tokenFile) {
      if (!this.#token || Date.now() - this.#token.at > 60_000) this.#token = { value: readFileSync(a.tokenFile, 'utf8').trim(), at: Date.now() };
      bearer = this.#token.value;
    }
    return {
      url,
      method,
      headers: { accept: 'application/json', ...headers, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      ...(a.ca ? { ca: a.ca } : {}),
      ...(a.cert ? { cert: a.cert } : {}),
      ...(a.key ? { key: a.key } : {}),
      ...(a.insecure ? { rejectUnauthorized: false } : {}),
    };
  }

  #open(method: string, path: string, body: string | undefined, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<IncomingMessage> {
    const { url, ...opts } = this.#options(method, path, headers);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { ...opts, timeout: timeoutMs, ...(signal ? { signal } : {}) }, resolve);
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = this.timeoutMs): Promise<T> {
    const res = await this.#open(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': contentType }, timeoutMs);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const msg = typeof parsed === 'object' && parsed && 'message' in parsed ? String((parsed as { message: unknown }).message) : String(text).slice(0, 200);
      throw new KubeError(status, method, path, msg);
    }
    return parsed as T;
  }

  /** Streams watch events (one JSON object per line) until the server ends the watch or `signal` aborts. */
  async watch(path: string, onEvent: (e: { type: string; object: KubeObject }) => void, signal: AbortSignal): Promise<void> {
    const res = await this.#open('GET', path, undefined, {}, 330_000, signal);
    if ((res.statusCode ?? 0) !== 200) {
      res.resume();
      throw new KubeError(res.statusCode ?? 0, 'GET', path, 'watch refused');
    }
    let buf = '';
    for await (const chunk of res) {
      buf += (chunk as Buffer).toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) onEvent(JSON.parse(line) as { type: string; object: KubeObject });
      }
    }
  }
}

export type WatchVerb = 'add' | 'update' | 'delete';

/**
 * List + watch of one resource into a cache keyed `<namespace>/<name>`. `synced` after the first
 * list; relists on 410 Gone; reconnects with backoff on errors. Listeners run after the cache changed.
 */
export class Reflector {
  readonly #items = new Map<string, KubeObject>();
  readonly #listeners: ((verb: WatchVerb, obj: KubeObject) => void)[] = [];
  readonly #abort = new AbortController();
  #synced = false;
  #loop: Promise<void> | undefined;
  #firstList: { promise: Promise<void>; resolve: () => void };
  lastError: string | undefined;

  constructor(
    readonly client: KubeClient,
    /** e.g. `/apis/external-secrets.io/v1/externalsecrets` or `/api/v1/pods` */
    readonly path: string,
    readonly kind: string,
    readonly apiVersion: string,
    readonly query: Record<string, string> = {},
    readonly onError: (err: unknown, retryMs: number) => void = () => {},
  ) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#firstList = { promise, resolve };
  }

  on(l: (verb: WatchVerb, obj: KubeObject) => void): void {
    this.#listeners.push(l);
  }

  synced(): boolean {
    return this.#synced;
  }

  /** Starts the loop; resolves once the first list succeeded. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#firstList.promise;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop?.catch(() => {});
  }

  get(name: string, namespace?: string): KubeObject | undefined {
    return this.#items.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.#items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  #key(o: KubeObject): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  #normal(o: KubeObject): KubeObject {
    return o.kind && o.apiVersion ? o : { ...o, kind: this.kind, apiVersion: this.apiVersion };
  }

  #emit(verb: WatchVerb, o: KubeObject): void {
    for (const l of this.#listeners) {
      try {
        l(verb, o);
      } catch {
        // a listener's failure must not stop the watch
      }
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let rv = '';
    let failures = 0;
    const qs = (extra: Record<string, string>) => '?' + new URLSearchParams({ ...this.query, ...extra }).toString();
    while (!signal.aborted) {
      try {
        if (!rv) {
          const list = await this.client.request<{ metadata: { resourceVersion: string }; items: KubeObject[] }>('GET', this.path + qs({}));
          const seen = new Set<string>();
          for (const raw of list.items) {
            const o = this.#normal(raw);
            const k = this.#key(o);
            seen.add(k);
            const had = this.#items.has(k);
            this.#items.set(k, o);
            if (this.#synced) this.#emit(had ? 'update' : 'add', o);
          }
          for (const [k, o] of [...this.#items]) {
            if (!seen.has(k)) {
              this.#items.delete(k);
              if (this.#synced) this.#emit('delete', o);
            }
          }
          rv = list.metadata.resourceVersion;
          if (!this.#synced) {
            this.#synced = true;
            this.#firstList.resolve();
          }
        }
        await this.client.watch(
          this.path + qs({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: '300' }),
          (e) => {
            if (e.type === 'ERROR') {
              const code = (e.object as unknown as { code?: number }).code;
              if (code === 410) rv = '';
              return;
            }
            const o = this.#normal(e.object);
            if (o.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
            if (e.type === 'BOOKMARK') return;
            const k = this.#key(o);
            if (e.type === 'DELETED') {
              this.#items.delete(k);
              this.#emit('delete', o);
            } else {
              const had = this.#items.has(k);
              this.#items.set(k, o);
              this.#emit(had ? 'update' : 'add', o);
            }
          },
          signal,
        );
        failures = 0;
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof KubeError && e.status === 410) rv = '';
        failures += 1;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.lastError = e instanceof Error ? e.message : String(e);
        this.onError(e, delay);
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
      }
    }
  }
}
