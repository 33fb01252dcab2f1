/**
 * The controller loop: when an ExternalSecret, a store or a namespace's labels change, re-resolve the
 * agent config of every running injected pod they may affect and patch its `esi.dev/agent-config`
 * annotation (the kubelet refreshes the downward-API file; the agent reconfigures without a restart).
 * Only that annotation is ever written, guarded by a JSON-patch `test` of the value it replaces.
 */
import type { KubeObject, Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, INJECT_LABEL } from '../contract/index.ts';
import { InjectionDenied, injectPod, pointer, type InjectContext } from '../injector/index.ts';
import { describe, type ClusterCache, type WatchedKind } from './cache.ts';
import type { KubeClient } from '../kube/index.ts';
import { Reflector } from './reflector.ts';
import type { WebhookLogger } from './log.ts';
import type { WebhookMetrics } from './metrics.ts';

export interface PodConfigControllerOptions {
  client: KubeClient;
  cache: ClusterCache;
  contextFor: (namespace: string) => InjectContext;
  log: WebhookLogger;
  metrics: WebhookMetrics;
  /** Coalesces bursts of changes (ms). */
  debounceMs?: number;
  /** Full re-check of every injected pod (ms); 0 disables. */
  resyncMs?: number;
}

export type ReconcileResult = 'updated' | 'unchanged' | 'failed' | 'skipped';

/** The desired annotation value for a running pod, or why there is none. Pure. */
export function desiredAgentConfig(pod: Pod, ctx: InjectContext): { value?: string; error?: string; specDrift: boolean } {
  try {
    const r = injectPod(pod, ctx);
    if (!r.plan) return { specDrift: false };
    const specDrift = r.patch.some((op) => !op.path.startsWith('/metadata/annotations'));
    return { value: r.plan.annotations[AGENT_CONFIG_ANNOTATION], specDrift };
  } catch (e) {
    return { error: e instanceof InjectionDenied ? e.message : describe(e), specDrift: false };
  }
}

export class PodConfigController {
  readonly #o: PodConfigControllerOptions;
  readonly #pods: Reflector;
  #podsSynced = false;
  #stopped = false;
  #pending = new Set<string>(); // namespaces; '*' = all
  #timer: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(o: PodConfigControllerOptions) {
    this.#o = o;
    // Only pods that opted in: the same label the webhook's objectSelector matches.
    this.#pods = new Reflector(o.client, '/api/v1/pods', 'Pod', 'v1', { labelSelector: `${INJECT_LABEL}=true` }, (err, retryMs) =>
      o.log.warn('pod watch failed; retrying', { error: describe(err), retryMs }),
    );
    o.cache.onChange((kind, obj) => this.#onChange(kind, obj));
  }

  async start(): Promise<void> {
    await this.#pods.start();
    this.#podsSynced = true;
    this.enqueue('*');
    const every = this.#o.resyncMs ?? 10 * 60_000;
    if (every > 0) {
      this.#resync = setInterval(() => this.enqueue('*'), every);
      this.#resync.unref();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#resync);
    await this.#pods.stop();
    await this.#running;
  }

  #onChange(kind: WatchedKind, obj: KubeObject): void {
    // A ClusterSecretStore or a namespace's labels can matter anywhere; the rest only in their namespace.
    if (kind === 'ClusterSecretStore' || (kind === 'Namespace' && !obj.metadata.name)) this.enqueue('*');
    else if (kind === 'Namespace') this.enqueue(obj.metadata.name!);
    else if (obj.metadata.namespace) this.enqueue(obj.metadata.namespace);
  }

  enqueue(namespace: string): void {
    if (this.#stopped) return;
    this.#pending.add(namespace);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#running.then(() => this.#drain());
    }, this.#o.debounceMs ?? 300);
  }

  /** Waits until queued work is done (tests). */
  async idle(): Promise<void> {
    await this.#running;
  }

  async #drain(): Promise<void> {
    if (!this.#podsSynced || !this.#o.cache.synced() || this.#stopped) return;
    const todo = this.#pending;
    this.#pending = new Set();
    const pods = (todo.has('*') ? this.#pods.list() : [...todo].flatMap((ns) => this.#pods.list(ns))) as unknown as Pod[];
    for (const pod of pods) {
      if (this.#stopped) return;
      const result = await this.reconcile(pod);
      if (result !== 'skipped') this.#o.metrics.podConfigUpdates.inc({ result });
    }
  }

  async reconcile(pod: Pod): Promise<ReconcileResult> {
    const md = pod.metadata;
    const status = (pod as unknown as { status?: { phase?: string } }).status;
    const current = md.annotations?.[AGENT_CONFIG_ANNOTATION];
    if (current === undefined || md.deletionTimestamp || status?.phase === 'Succeeded' || status?.phase === 'Failed') return 'skipped';
    const want = desiredAgentConfig(pod, this.#o.contextFor(md.namespace ?? 'default'));
    const where = { namespace: md.namespace, pod: md.name };
    if (want.error !== undefined || want.value === undefined) {
      this.#o.log.warn('cannot re-resolve the agent config of a running pod; leaving it as it is', { ...where, error: want.error ?? 'not injected' });
      return 'failed';
    }
    if (want.value === current) return 'unchanged';
    if (want.specDrift) {
      this.#o.log.warn('the changed ExternalSecret or store needs pod spec changes (volumes, env); restart the pod to apply them', where);
    }
    const path = pointer('metadata', 'annotations', AGENT_CONFIG_ANNOTATION);
    try {
      await this.#o.client.request(
        'PATCH',
        `/api/v1/namespaces/${encodeURIComponent(md.namespace!)}/pods/${encodeURIComponent(md.name!)}`,
        [{ op: 'test', path, value: current }, { op: 'replace', path, value: want.value }],
        { contentType: 'application/json-patch+json' },
      );
      this.#o.log.info('agent config updated', where);
      return 'updated';
    } catch (e) {
      this.#o.log.warn('agent config update failed', { ...where, error: describe(e) });
      return 'failed';
    }
  }
}
