/** The webhook's Prometheus metrics, on a registry of its own (several webhooks can run in one process). */
import { Counter, Gauge, Histogram, Registry, registerProcessMetrics } from '../core/index.ts';

export interface WebhookMetrics {
  registry: Registry;
  requests: Counter<'result' | 'dry_run'>;
  duration: Histogram<'result'>;
  denials: Counter<'reason'>;
  cacheSynced: Gauge;
  podConfigUpdates: Counter<'result'>;
  podConfigRetries: Counter;
  leader: Gauge;
  cachedPods: Gauge;
}

export function createWebhookMetrics(opts: { defaultMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) registerProcessMetrics(registry, 'esi_webhook_');
  return {
    registry,
    requests: new Counter({
      name: 'esi_admission_requests_total',
      help: 'AdmissionReview requests by result (injected, unchanged, skipped, denied, error)',
      labelNames: ['result', 'dry_run'],
      registers: [registry],
    }),
    // Finer than the apiserver's own admission histogram (0.005, 0.025, …): the goal is p99 ≤ 10 ms.
    duration: new Histogram({
      name: 'esi_admission_duration_seconds',
      help: 'Time to answer an AdmissionReview, from request body received to response written',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    denials: new Counter({
      name: 'esi_admission_denials_total',
      help: 'Denied pod admissions by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    cacheSynced: new Gauge({
      name: 'esi_webhook_cache_synced',
      help: '1 when the ExternalSecret, store and namespace caches have synced',
      registers: [registry],
    }),
    podConfigUpdates: new Counter({
      name: 'esi_pod_config_updates_total',
      help: 'Updates of running pods\' esi.dev/agent-config annotation by the controller loop, by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    podConfigRetries: new Counter({
      name: 'esi_pod_config_retries_total',
      help: 'Agent config updates retried after a throttled, conflicting or failed API write',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'esi_controller_leader',
      help: '1 while this replica holds the controller Lease (only the leader updates pods)',
      registers: [registry],
    }),
    cachedPods: new Gauge({
      name: 'esi_controller_cached_pods',
      help: 'Injected pods in the controller cache',
      registers: [registry],
    }),
  };
}
