export { EsiError, ValidationError, NoSecretError, NotAvailableError, isEsiError, describeError } from './errors.ts';
export * from './kube.ts';
export { Counter, Gauge, Histogram, Registry, type MetricValue } from './prometheus.ts';
export { registerProcessMetrics } from './process-metrics.ts';
