/**
 * The agent's Prometheus metrics (one registry per agent so tests run several agents in one process).
 * Labels carry ExternalSecret names, stores and reasons, never values.
 */
import { Counter, Gauge, Histogram, Registry, registerProcessMetrics } from '../core/index.ts';

export interface AgentMetrics {
  registry: Registry;
  syncs: Counter<'external_secret' | 'result'>;
  syncErrors: Counter<'external_secret' | 'reason'>;
  lastSuccess: Gauge<'external_secret'>;
  stale: Gauge<'external_secret'>;
  rotations: Counter<'external_secret'>;
  backendCalls: Counter<'store' | 'provider' | 'operation' | 'result'>;
  backendLatency: Histogram<'provider' | 'operation'>;
  secretWrites: Counter<'external_secret' | 'result'>;
  configReloads: Counter<'result'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): AgentMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) registerProcessMetrics(registry, 'esi_agent_');
  const registers = [registry];
  return {
    registry,
    syncs: new Counter({
      name: 'esi_agent_syncs_total',
      help: 'Sync attempts per ExternalSecret; result is success (files written or unchanged) or error.',
      labelNames: ['external_secret', 'result'],
      registers,
    }),
    syncErrors: new Counter({
      name: 'esi_agent_sync_errors_total',
      help: 'Failed syncs per ExternalSecret and error code (the last good files stay).',
      labelNames: ['external_secret', 'reason'],
      registers,
    }),
    lastSuccess: new Gauge({
      name: 'esi_agent_last_success_timestamp_seconds',
      help: 'Unix time of the last successful sync of an ExternalSecret.',
      labelNames: ['external_secret'],
      registers,
    }),
    stale: new Gauge({
      name: 'esi_agent_stale',
      help: '1 while an ExternalSecret has gone longer than its staleness bound without a successful sync.',
      labelNames: ['external_secret'],
      registers,
    }),
    rotations: new Counter({
      name: 'esi_agent_rotations_total',
      help: 'Times an ExternalSecret\'s files changed after the first sync.',
      labelNames: ['external_secret'],
      registers,
    }),
    backendCalls: new Counter({
      name: 'esi_agent_backend_calls_total',
      help: 'Calls to secret backends by store, provider, operation and result.',
      labelNames: ['store', 'provider', 'operation', 'result'],
      registers,
    }),
    backendLatency: new Histogram({
      name: 'esi_agent_backend_call_duration_seconds',
      help: 'Latency of calls to secret backends.',
      labelNames: ['provider', 'operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    secretWrites: new Counter({
      name: 'esi_agent_secret_writes_total',
      help: 'Kubernetes Secret writes for esi.dev/sync-secret: created, updated, unchanged, deleted, conflict, error, skipped.',
      labelNames: ['external_secret', 'result'],
      registers,
    }),
    configReloads: new Counter({
      name: 'esi_agent_config_reloads_total',
      help: 'Config file reloads: applied, unchanged, or error (the previous config stays).',
      labelNames: ['result'],
      registers,
    }),
  };
}
