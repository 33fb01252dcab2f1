/** The mutating admission webhook: HTTPS server, watch caches, controller loop. */
export { admit, parseReview, BadReview, type AdmissionEnv, type AdmissionOutcome, type AdmissionRequest, type AdmissionResponse, type AdmissionReview, type AdmissionResult } from './admission.ts';
export { PatchMemo, type MemoizedAnswer, type PatchMemoOptions } from './patch-memo.ts';
export { startWebhookServer, type WebhookServer, type WebhookServerOptions, type TlsFiles, type TlsPem } from './server.ts';
export { createWebhookMetrics, type WebhookMetrics } from './metrics.ts';
export { ClusterCache, type WatchedKind, type ChangeListener } from './cache.ts';
export { PodConfigController, desiredAgentConfig, type ReconcileResult } from './controller.ts';
export { StatusController, nextExternalSecretStatus, nextStoreStatus, reportOf, type SyncReport } from './status.ts';
export { runWebhook, nativeSidecarsFromVersion, type RunWebhookOptions, type RunningWebhook } from './run.ts';
export { jsonLogger, silentLogger, type Logger } from '../core/log.ts';
export { Reflector, type WatchVerb } from './reflector.ts';
export { issueSelfSigned, renewalTime, type IssuedTls } from './certs.ts';
export { SelfManagedTls, certificateIsCurrent, dnsNames, type SelfManagedOptions } from './self-managed.ts';
