/**
 * List+watch reflectors for the webhook: one resource kept in a cache, over the kube/ client. Follows
 * client-go's `tools/cache/reflector.go` where it matters at scale:
 * - lists are paginated (`limit`/`continue`), so no response holds every object at once;
 * - watches ask for bookmarks (`allowWatchBookmarks`), which keep the resume point fresh;
 * - a watch that ends or fails resumes from the last resourceVersion seen; only `410 Gone` (the version
 *   was compacted away) relists, and a relist reports only what changed (no burst of "updates");
 * - failures back off exponentially (0.8 s doubling to 30 s, with jitter), so replicas do not retry in step.
 * Objects pass through `transform` on receipt, so the cache keeps only what its readers need.
 */
import type { KubeObject } from '../core/index.ts';
import { KubeError, type KubeClient } from '../kube/index.ts';

export type WatchVerb = 'add' | 'update' | 'delete';

export interface ReflectorOptions {
  /** Extra list/watch query (e.g. `labelSelector`). */
  query?: Record<string, string>;
  /** Keeps what the cache needs of an object (called once per received object). */
  transform?: (o: KubeObject) => KubeObject;
  /** Page size of lists (default 500, client-go's pager default). */
  pageSize?: number;
  onError?: (err: unknown, retryMs: number) => void;
  random?: () => number;
}

/** Backoff of a failing list/watch loop: client-go's 800 ms doubling to 30 s, plus up to 100 % jitter. Pure. */
export function reflectorBackoff(failures: number, random: number): number {
  const base = Math.min(30_000, 800 * 2 ** Math.max(0, Math.min(failures - 1, 10)));
  return Math.min(30_000, base * (1 + random));
}

/** Whether resourceVersion `a` is older than `b`, when both are etcd revisions (decimal); else false. */
export function olderVersion(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length < b.length : a < b;
}

/**
 * List + watch of one resource into a cache indexed by namespace. `synced` after the first list.
 * Listeners run after the cache changed.
 */
export class Reflector {
  /** namespace ('' for cluster-scoped) → name → object */
  readonly #byNamespace = new Map<string, Map<string, KubeObject>>();
  #size = 0;
  readonly #listeners: ((verb: WatchVerb, obj: KubeObject, old?: KubeObject) => void)[] = [];
  readonly #abort = new AbortController();
  readonly #o: ReflectorOptions;
  #synced = false;
  #loop: Promise<void> | undefined;
  #firstList: { promise: Promise<void>; resolve: () => void };
  lastError: string | undefined;
  /** Lists made (the first one included); a watch resumed from its resourceVersion is not a list. */
  lists = 0;

  constructor(
    readonly client: KubeClient,
    /** e.g. `/apis/external-secrets.io/v1/externalsecrets` or `/api/v1/pods` */
    readonly path: string,
    readonly kind: string,
    readonly apiVersion: string,
    opts: ReflectorOptions = {},
  ) {
    this.#o = opts;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#firstList = { promise, resolve };
  }

  /** `old` is the cached object an update replaced. */
  on(l: (verb: WatchVerb, obj: KubeObject, old?: KubeObject) => void): void {
    this.#listeners.push(l);
  }

  synced(): boolean {
    return this.#synced;
  }

  get size(): number {
    return this.#size;
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
    return this.#byNamespace.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): KubeObject[] {
    if (namespace !== undefined) return [...(this.#byNamespace.get(namespace)?.values() ?? [])];
    const out: KubeObject[] = [];
    for (const m of this.#byNamespace.values()) for (const o of m.values()) out.push(o);
    return out;
  }

  /** `<namespace>/<name>` of every cached object (of one namespace). */
  keys(namespace?: string): string[] {
    const out: string[] = [];
    const add = (ns: string, m: Map<string, KubeObject>) => {
      for (const name of m.keys()) out.push(`${ns}/${name}`);
    };
    if (namespace !== undefined) {
      const m = this.#byNamespace.get(namespace);
      if (m) add(namespace, m);
    } else for (const [ns, m] of this.#byNamespace) add(ns, m);
    return out;
  }

  /**
   * Records an object this process just wrote (the API's answer), so readers see the write before its
   * watch event arrives. Ignored when the cache already holds a newer version.
   */
  put(raw: KubeObject): void {
    const o = this.#receive(raw);
    const had = this.get(o.metadata.name!, o.metadata.namespace);
    if (had && olderVersion(o.metadata.resourceVersion, had.metadata.resourceVersion)) return;
    this.#set(o);
  }

  #receive(raw: KubeObject): KubeObject {
    const o = raw.kind && raw.apiVersion ? raw : { ...raw, kind: this.kind, apiVersion: this.apiVersion };
    return this.#o.transform ? this.#o.transform(o) : o;
  }

  #set(o: KubeObject): KubeObject | undefined {
    const ns = o.metadata.namespace ?? '';
    let m = this.#byNamespace.get(ns);
    if (!m) this.#byNamespace.set(ns, (m = new Map()));
    const had = m.get(o.metadata.name!);
    m.set(o.metadata.name!, o);
    if (!had) this.#size += 1;
    return had;
  }

  #delete(ns: string, name: string): KubeObject | undefined {
    const m = this.#byNamespace.get(ns);
    const had = m?.get(name);
    if (!had) return undefined;
    m!.delete(name);
    if (m!.size === 0) this.#byNamespace.delete(ns);
    this.#size -= 1;
    return had;
  }

  #emit(verb: WatchVerb, o: KubeObject, old?: KubeObject): void {
    for (const l of this.#listeners) {
      try {
        l(verb, o, old);
      } catch {
        // a listener's failure must not stop the watch
      }
    }
  }

  #qs(extra: Record<string, string>): string {
    return '?' + new URLSearchParams({ ...(this.#o.query ?? {}), ...extra }).toString();
  }

  /** A full, paginated list; replaces the cache and reports the differences. Returns its resourceVersion. */
  async #relist(signal: AbortSignal): Promise<string> {
    this.lists += 1;
    const seen = new Set<string>();
    let cont = '';
    let rv = '';
    do {
      const page = await this.client.request<{ metadata: { resourceVersion: string; continue?: string }; items: KubeObject[] }>(
        'GET',
        this.path + this.#qs({ limit: String(this.#o.pageSize ?? 500), ...(cont ? { continue: cont } : {}) }),
        undefined,
        { signal },
      );
      for (const raw of page.items) {
        const o = this.#receive(raw);
        const ns = o.metadata.namespace ?? '';
        seen.add(`${ns}/${o.metadata.name}`);
        const had = this.get(o.metadata.name!, ns);
        if (had && had.metadata.resourceVersion === o.metadata.resourceVersion) continue;
        this.#set(o);
        if (this.#synced) this.#emit(had ? 'update' : 'add', o, had);
      }
      cont = page.metadata.continue ?? '';
      rv = page.metadata.resourceVersion;
    } while (cont && !signal.aborted);
    for (const [ns, m] of [...this.#byNamespace]) {
      for (const [name, o] of [...m]) {
        if (seen.has(`${ns}/${name}`)) continue;
        this.#delete(ns, name);
        if (this.#synced) this.#emit('delete', o);
      }
    }
    return rv;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const random = this.#o.random ?? Math.random;
    let rv = '';
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!rv) {
          rv = await this.#relist(signal);
          if (!this.#synced) {
            this.#synced = true;
            this.#firstList.resolve();
          }
        }
        await this.client.watch(
          this.path + this.#qs({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(240 + Math.floor(random() * 120)) }),
          (e) => {
            if (e.type === 'ERROR') {
              const code = (e.object as unknown as { code?: number }).code;
              if (code === 410) rv = '';
              return;
            }
            if (e.object?.metadata?.resourceVersion) rv = e.object.metadata.resourceVersion;
            if (e.type === 'BOOKMARK') return;
            const o = this.#receive(e.object);
            const ns = o.metadata.namespace ?? '';
            if (e.type === 'DELETED') {
              const had = this.#delete(ns, o.metadata.name!);
              if (had) this.#emit('delete', o);
              return;
            }
            const had = this.get(o.metadata.name!, ns);
            if (had && olderVersion(o.metadata.resourceVersion, had.metadata.resourceVersion)) return; // we wrote newer (put)
            this.#set(o);
            this.#emit(had ? 'update' : 'add', o, had);
          },
          signal,
        );
        failures = 0;
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof KubeError && e.status === 410) rv = '';
        failures += 1;
        const delay = reflectorBackoff(failures, random());
        this.lastError = e instanceof Error ? e.message : String(e);
        this.#o.onError?.(e, delay);
        await new Promise<void>((r) => {
          const t = setTimeout(done, delay);
          function done() {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            r();
          }
          signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  }
}
