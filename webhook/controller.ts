/**
 * The controller loop: when an ExternalSecret, a store or a namespace's labels change, re-resolve the
 * agent config of every running injected pod they may affect and patch its `esi.dev/agent-config`
 * annotation (the kubelet refreshes the downward-API file; the agent reconfigures without a restart).
 * Only that annotation is ever written, guarded by a JSON-patch `test` of the value it replaces.
 *
 * Shape (client-go's controller pattern): watch events → keys (`<namespace>/<pod>`) in a deduplicating
 * work queue → workers run `reconcile(key)` against the cache → API writes paced by a token bucket;
 * retryable failures (429, 5xx, conflicts, a failed `test`, transport errors) come back with per-key
 * backoff. Every replica keeps the pod cache warm; only the leader (webhook/run.ts) runs the workers.
 *
 * At scale (issue 16: 10,000 pods sharing 2,000 ExternalSecrets): the cache keeps no pod spec, only each
 * pod's re-resolution inputs (webhook/pod-record.ts); the desired config is memoized per namespace and
 * inputs, so pods with the same inputs resolve once until an object of their namespace (or a
 * ClusterSecretStore) changes; a pod whose annotation already matches costs a string comparison and no
 * write. Workers give the event loop back every few milliseconds (setImmediate), so admission requests
 * served by the same process never wait behind a resync.
 */
import { EsiError, type KubeObject, type Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, INJECT_LABEL } from '../contract/index.ts';
import { InjectionDenied, pointer, runningPodConfig, type InjectContext, type RunningPodInputs } from '../injector/index.ts';
import { describe, type ClusterCache, type WatchedKind } from './cache.ts';
import { KubeError, type KubeClient } from '../kube/index.ts';
import { Reflector } from './reflector.ts';
import type { Logger } from '../core/log.ts';
import type { WebhookMetrics } from './metrics.ts';
import { leadershipTerm, TokenBucket, WorkQueue, type ItemBackoff } from './workqueue.ts';
import { podRecord, recordInputs, type PodRecord } from './pod-record.ts';

export interface ApiRateLimit {
  /** Sustained API writes per second. */
  qps: number;
  burst: number;
}

/** 10,000 pods re-resolved in under a minute; the apiserver's priority and fairness answers 429 beyond its share. */
export const DEFAULT_API_RATE_LIMIT: ApiRateLimit = { qps: 200, burst: 200 };

/**
 * Writes in flight: the rate limit, not this, paces the apiserver; enough that a slow answer (100–200 ms
 * from a busy apiserver) still lets the default 200 writes a second through (32 / 0.16 s).
 */
export const DEFAULT_WORKERS = 32;

export interface PodConfigControllerOptions {
  client: KubeClient;
  cache: ClusterCache;
  contextFor: (namespace: string) => InjectContext;
  log: Logger;
  metrics: WebhookMetrics;
  /** Full re-check of every injected pod (ms); 0 disables. */
  resyncMs?: number;
  /** Concurrent reconciles (default DEFAULT_WORKERS). */
  workers?: number;
  rateLimit?: ApiRateLimit;
  backoff?: ItemBackoff;
  /** Page size of the pod list (default 500). */
  pageSize?: number;
  /** Only pods in namespaces with these labels (as the webhook configuration's namespaceSelector). */
  namespaceSelector?: Record<string, string>;
}

export type ReconcileResult = 'updated' | 'unchanged' | 'failed' | 'skipped';

export interface DesiredConfig {
  value?: string;
  error?: string;
  /** The stores now want spec changes (credential env, Vault token volume) only a restart applies. */
  specDrift: boolean;
}

/** The desired annotation value for a running pod's inputs, or why there is none. Pure. */
export function desiredConfigOf(inputs: RunningPodInputs, ctx: InjectContext): DesiredConfig {
  try {
    const r = runningPodConfig(inputs, ctx);
    return { value: r.value, specDrift: r.specDrift };
  } catch (e) {
    return { error: e instanceof InjectionDenied ? e.message : describe(e), specDrift: false };
  }
}

/** The same for a full pod, as the apiserver has it (reduced as the cache reduces it). Pure. */
export function desiredAgentConfig(pod: Pod, ctx: InjectContext): DesiredConfig {
  return desiredConfigOf(recordInputs(podRecord(pod)), ctx);
}

/** A memoized resolution; `inputs` is the key string itself, so records with equal inputs share one copy. */
interface Memoized extends DesiredConfig {
  inputs: string;
}

/**
 * How long memoized resolutions live at most: CA bundles of Vault stores come from a TTL'd lookup
 * (webhook/run.ts), the one input that changes without a watch event.
 */
const MEMO_MAX_AGE_MS = 60_000;

/** How long workers run before they give the event loop back to admission requests. */
const SLICE_MS = 4;

/** Whether a failed API write is worth retrying: throttled, server-side, conflicting, or not delivered. */
export function retryable(e: unknown): boolean {
  if (e instanceof KubeError) return e.status === 429 || e.status >= 500 || e.status === 409 || e.status === 422;
  return e instanceof EsiError && (e.code === 'kube-unreachable' || e.code === 'kube-timeout');
}

/** A key failing this often is left to the periodic resync (e.g. a 422 that is not a stale `test`). */
const MAX_RETRIES = 12;

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

export class PodConfigController {
  readonly #o: PodConfigControllerOptions;
  readonly #pods: Reflector;
  readonly #limiter: TokenBucket;
  #queue: WorkQueue | undefined;
  #workers: Promise<void>[] = [];
  #resync: NodeJS.Timeout | undefined;
  #lead: AbortController | undefined;
  /** namespace → inputs → resolution */
  #memo = new Map<string, Map<string, Memoized>>();
  #memoBornAt = performance.now();
  #sliceStart = performance.now();
  #turn = 0;
  /** Resolutions computed (memo misses): what a resync costs in CPU. */
  resolutions = 0;

  constructor(o: PodConfigControllerOptions) {
    this.#o = o;
    const rate = o.rateLimit ?? DEFAULT_API_RATE_LIMIT;
    this.#limiter = new TokenBucket(rate.qps, rate.burst);
    // Only pods that opted in: the same label the webhook's objectSelector matches.
    this.#pods = new Reflector(o.client, '/api/v1/pods', 'Pod', 'v1', {
      query: { labelSelector: `${INJECT_LABEL}=true` },
      transform: (o) => this.#share(podRecord(o)),
      ...(o.pageSize ? { pageSize: o.pageSize } : {}),
      onError: (err, retryMs) => o.log.warn({ error: describe(err), retryMs }, 'pod watch failed; retrying'),
    });
    // A pod admitted while the caches lagged may carry an older config: check new pods once.
    this.#pods.on((verb, pod) => {
      if (verb !== 'update') o.metrics.cachedPods.set(this.#pods.size);
      if (verb === 'add' && this.manages(pod.metadata.namespace ?? '')) this.#queue?.add(keyOf(pod.metadata.namespace ?? '', pod.metadata.name!));
    });
    o.cache.onChange((kind, obj) => this.#onChange(kind, obj));
  }

  /**
   * Calls `l` when an injected pod of a managed namespace starts terminating or is gone from the cache
   * (with its last record); a pod that is deleted at once (never scheduled) is only gone.
   */
  onPodDeleted(l: (namespace: string, name: string, pod: KubeObject) => void): void {
    this.#pods.on((verb, pod, old) => {
      const ns = pod.metadata.namespace ?? '';
      const terminating = verb === 'update' && pod.metadata['deletionTimestamp'] && !old?.metadata['deletionTimestamp'];
      if ((verb === 'delete' || terminating) && this.manages(ns)) l(ns, pod.metadata.name!, pod);
    });
  }

  podExists(namespace: string, name: string): boolean {
    return this.#pods.get(name, namespace) !== undefined;
  }

  /** The cached injected pods of a namespace. */
  podsIn(namespace: string): KubeObject[] {
    return this.#pods.list(namespace);
  }

  /** Pods in the cache (what the webhook holds in memory for the controller). */
  get cachedPods(): number {
    return this.#pods.size;
  }

  /** Starts the pod cache (every replica keeps it warm, so a new leader starts at once). */
  async start(): Promise<void> {
    await this.#pods.start();
    this.#o.metrics.cachedPods.set(this.#pods.size);
  }

  /**
   * Runs the workers until `signal` aborts (leadership lost or shutdown); resolves when they stopped
   * (in-flight writes finish first). Every pod is checked once at the start.
   */
  async lead(signal: AbortSignal): Promise<void> {
    await this.#pods.start();
    if (signal.aborted) return;
    const { queue, lead, end } = leadershipTerm(signal, this.#o.backoff);
    this.#queue = queue;
    this.#lead = lead;
    this.enqueueAll();
    const every = this.#o.resyncMs ?? 10 * 60_000;
    if (every > 0) {
      this.#resync = setInterval(() => this.enqueueAll(), every);
      this.#resync.unref();
    }
    this.#workers = Array.from({ length: this.#o.workers ?? DEFAULT_WORKERS }, () => this.#worker(queue));
    await Promise.all(this.#workers);
    clearInterval(this.#resync);
    end();
    if (this.#queue === queue) this.#queue = undefined;
  }

  async stop(): Promise<void> {
    this.#queue?.shutDown();
    this.#lead?.abort();
    clearInterval(this.#resync);
    await Promise.all(this.#workers);
    await this.#pods.stop();
  }

  #onChange(kind: WatchedKind, obj: KubeObject): void {
    // A ClusterSecretStore can matter anywhere; the rest only in their namespace.
    if (kind === 'ClusterSecretStore') {
      this.#memo.clear();
      this.enqueueAll();
    } else {
      const ns = kind === 'Namespace' ? obj.metadata.name : obj.metadata.namespace;
      if (!ns) return;
      this.#memo.delete(ns);
      this.enqueueNamespace(ns);
    }
  }

  /** The desired config of a record: memoized per namespace and inputs. */
  #desired(rec: PodRecord): Memoized {
    if (performance.now() - this.#memoBornAt > MEMO_MAX_AGE_MS) {
      this.#memo.clear();
      this.#memoBornAt = performance.now();
    }
    const ns = rec.metadata.namespace ?? 'default';
    let byInputs = this.#memo.get(ns);
    if (!byInputs) this.#memo.set(ns, (byInputs = new Map()));
    let d = byInputs.get(rec.inputs);
    if (!d) {
      this.resolutions += 1;
      d = { ...desiredConfigOf(recordInputs(rec), this.#o.contextFor(ns)), inputs: rec.inputs };
      byInputs.set(rec.inputs, d);
    }
    return d;
  }

  /** A record arriving shares the memo's strings when equal (10,000 pods, a few thousand distinct configs). */
  #share(rec: PodRecord): PodRecord {
    const d = this.#memo.get(rec.metadata.namespace ?? 'default')?.get(rec.inputs);
    if (d) {
      rec.inputs = d.inputs;
      if (d.value !== undefined && d.value === rec.agentConfig) rec.agentConfig = d.value;
    }
    return rec;
  }

  /**
   * Gives the event loop to pending I/O (admission requests) once the current slice is used up. Workers
   * that yielded together resume together: the first starts a new slice, the others yield again once it
   * is used up (else each would run one item unchecked after the yield).
   */
  async #yieldIfDue(): Promise<void> {
    while (performance.now() - this.#sliceStart >= SLICE_MS) {
      const turn = this.#turn;
      await new Promise<void>((r) => setImmediate(r));
      if (this.#turn === turn) {
        this.#turn += 1;
        this.#sliceStart = performance.now();
      }
    }
  }

  manages(namespace: string): boolean {
    const sel = this.#o.namespaceSelector;
    if (!sel) return true;
    const labels = this.#o.cache.namespaceLabels(namespace);
    return Object.entries(sel).every(([k, v]) => labels[k] === v);
  }

  enqueueAll(): void {
    const q = this.#queue;
    if (q) for (const k of this.#pods.keys()) if (this.manages(k.slice(0, k.indexOf('/')))) q.add(k);
  }

  enqueueNamespace(namespace: string): void {
    const q = this.#queue;
    if (q && this.manages(namespace)) for (const k of this.#pods.keys(namespace)) q.add(k);
  }

  /** Waits until the queue is drained and nothing is in flight or waiting out a backoff (tests, bench). */
  async idle(pollMs = 20): Promise<void> {
    while (this.#queue && !this.#queue.idle()) await new Promise((r) => setTimeout(r, pollMs));
  }

  async #worker(queue: WorkQueue): Promise<void> {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await this.#yieldIfDue();
        const result = await this.reconcile(key);
        queue.forget(key);
        if (result !== 'skipped') this.#o.metrics.podConfigUpdates.inc({ result });
      } catch (e) {
        const [namespace, pod] = key.split('/');
        if (retryable(e) && !this.#lead?.signal.aborted && queue.failures(key) < MAX_RETRIES) {
          const retryMs = queue.addRateLimited(key);
          this.#o.metrics.podConfigRetries.inc();
          this.#o.log.warn({ namespace, pod, error: describe(e), retryMs, failures: queue.failures(key) }, 'agent config update failed; retrying');
        } else {
          queue.forget(key);
          this.#o.metrics.podConfigUpdates.inc({ result: 'failed' });
          this.#o.log.warn({ namespace, pod, error: describe(e) }, 'agent config update failed');
        }
      } finally {
        queue.done(key);
      }
    }
  }

  /** Brings one pod's agent config up to date. Throws when the API write failed (the worker retries). */
  async reconcile(key: string): Promise<ReconcileResult> {
    const slash = key.indexOf('/');
    const rec = this.#pods.get(key.slice(slash + 1), key.slice(0, slash)) as PodRecord | undefined;
    if (!rec) return 'skipped';
    const md = rec.metadata;
    const current = rec.agentConfig;
    if (current === undefined || md.deletionTimestamp || rec.phase === 'Succeeded' || rec.phase === 'Failed') return 'skipped';
    const want = this.#desired(rec);
    rec.inputs = want.inputs;
    const where = { namespace: md.namespace, pod: md.name };
    if (want.error !== undefined || want.value === undefined) {
      this.#o.log.warn({ ...where, error: want.error ?? 'not injected' }, 'cannot re-resolve the agent config of a running pod; leaving it as it is');
      return 'failed';
    }
    if (want.value === current) {
      rec.agentConfig = want.value; // one string for every pod with this config
      return 'unchanged';
    }
    if (want.specDrift) {
      this.#o.log.warn(where, 'the changed ExternalSecret or store needs pod spec changes (volumes, env); restart the pod to apply them');
    }
    await this.#limiter.take(this.#lead?.signal);
    if (this.#lead?.signal.aborted) return 'skipped'; // not leading any more: the next leader checks it
    const path = pointer('metadata', 'annotations', AGENT_CONFIG_ANNOTATION);
    const patched = await this.#o.client.request<KubeObject>(
      'PATCH',
      `/api/v1/namespaces/${encodeURIComponent(md.namespace!)}/pods/${encodeURIComponent(md.name!)}`,
      [{ op: 'test', path, value: current }, { op: 'replace', path, value: want.value }],
      { contentType: 'application/json-patch+json' },
    );
    // Readers (a next change, before the watch event arrives) see the new value, not the one replaced.
    this.#pods.put(patched);
    this.#o.log.info(where, 'agent config updated');
    return 'updated';
  }
}
