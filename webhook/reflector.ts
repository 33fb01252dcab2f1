/**
 * List+watch reflectors for the webhook: one resource kept in a cache, over the kube/ client.
 */
import type { KubeObject } from '../core/index.ts';
import { KubeError, type KubeClient } from '../kube/index.ts';

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
