/**
 * Wires the webhook: kubeconfig → watch caches → admission environment → HTTPS server, plus the
 * controller loop. The only place that reads the cluster; everything it decides goes through
 * `admit` and the injector.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { InjectContext, InjectDefaults, CaRef } from '../injector/index.ts';
import type { AdmissionEnv } from './admission.ts';
import { PatchMemo } from './patch-memo.ts';
import { ClusterCache, describe } from './cache.ts';
import { PodConfigController, type ApiRateLimit } from './controller.ts';
import { StatusController } from './status.ts';
import { SecretCleanup } from './cleanup.ts';
import { DEFAULT_CONTROLLER_CLASS } from '../contract/index.ts';
import { LeaderElector, type KubeClient, type LeaderElectionTiming } from '../kube/index.ts';
import type { Logger } from '../core/log.ts';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.ts';
import { SelfManagedTls, type SelfManagedOptions } from './self-managed.ts';
import { loadRegexpEngine } from '../eso/index.ts';
import { startWebhookServer, type TlsFiles, type TlsPem, type WebhookServer } from './server.ts';

export interface RunWebhookOptions {
  client: KubeClient;
  host: string;
  port: number;
  /** Files (re-read on change), PEMs, or self-managed (issued, stored in a Secret, rotated, caBundle kept). */
  tls: TlsFiles | TlsPem | { selfManaged: Omit<SelfManagedOptions, 'client' | 'log'>; checkEveryMs?: number };
  log: Logger;
  agentImage?: string;
  /** Cluster supports native sidecars; 'auto' asks the apiserver's /version (≥ 1.29). */
  nativeSidecars?: boolean | 'auto';
  defaults?: Partial<InjectDefaults>;
  /** Run the controller loop that updates running pods' agent config (default true). */
  controller?: boolean;
  metrics?: WebhookMetrics;
  tlsPollMs?: number;
  /**
   * Only the holder of this Lease runs the controller (every replica serves admission). Without it the
   * controller runs unconditionally (one replica, tests).
   */
  leaderElection?: { namespace: string; name?: string; identity?: string; timing?: Partial<LeaderElectionTiming> };
  /** API writes of the controller (default 200/s, burst 200). */
  controllerRateLimit?: ApiRateLimit;
  controllerWorkers?: number;
  /** The controller manages pods only in namespaces with these labels (default: every namespace). */
  controllerNamespaceSelector?: Record<string, string>;
  /** Wait after the last pod writing a target Secret went before its deletionPolicy applies (default 30 s). */
  cleanupGraceMs?: number;
}

/** Lease name of the controller's leader election (in the webhook's namespace). */
export const CONTROLLER_LEASE = 'esi-controller';

export interface RunningWebhook {
  server: WebhookServer;
  port: number;
  cache: ClusterCache;
  controller?: PodConfigController;
  status?: StatusController;
  elector?: LeaderElector;
  selfManaged?: SelfManagedTls;
  metrics: WebhookMetrics;
  /** Resolves when the caches synced (never rejects; watches retry). */
  synced: Promise<void>;
  close(): Promise<void>;
}

/** Kubernetes ≥ 1.29 runs native sidecars by default (beta, on; GA in 1.33). */
export function nativeSidecarsFromVersion(major: string, minor: string): boolean {
  const ma = parseInt(major, 10);
  const mi = parseInt(minor, 10);
  if (Number.isNaN(ma) || Number.isNaN(mi)) return true;
  return ma > 1 || mi >= 29;
}

async function detectNativeSidecars(client: KubeClient, log: Logger): Promise<boolean> {
  try {
    const v = await client.request<{ major: string; minor: string; gitVersion: string }>('GET', '/version');
    const native = nativeSidecarsFromVersion(v.major, v.minor);
    log.info({ gitVersion: v.gitVersion, nativeSidecars: native }, 'cluster version');
    return native;
  } catch (e) {
    log.warn({ error: describe(e) }, 'cannot read the cluster version; assuming native sidecars');
    return true;
  }
}

const CA_TTL_MS = 5 * 60_000;

export async function runWebhook(o: RunWebhookOptions): Promise<RunningWebhook> {
  await loadRegexpEngine(); // the pod-config controller re-runs injection (namespaceRegexes)
  const metrics = o.metrics ?? createWebhookMetrics({ defaultMetrics: true });
  const nativeSidecars = o.nativeSidecars === undefined || o.nativeSidecars === 'auto' ? await detectNativeSidecars(o.client, o.log) : o.nativeSidecars;
  const cache = new ClusterCache(o.client, o.log);

  // Pods seen before are answered from here; anything contextFor reads changing clears it.
  const memo = new PatchMemo();
  cache.onChange(() => memo.clear());
  const cas = new Map<string, { pem?: string; at: number }>();
  const caKey = (r: CaRef) => `${r.kind}/${r.namespace}/${r.name}/${r.key}`;
  // Service accounts stores name (Azure Workload Identity's annotations), read on demand like the CAs.
  const accounts = new Map<string, { annotations: Record<string, string> | null; at: number }>();
  const contextFor = (namespace: string): InjectContext => ({
    eso: cache.lookup(),
    namespace,
    namespaceLabels: cache.namespaceLabels(namespace),
    cluster: { nativeSidecars },
    ...(o.agentImage ? { agentImage: o.agentImage } : {}),
    ...(o.defaults ? { defaults: o.defaults } : {}),
    caLookup: (ref) => {
      const hit = cas.get(caKey(ref));
      return hit && Date.now() - hit.at < CA_TTL_MS ? hit.pem : undefined;
    },
    serviceAccountLookup: (ns, name) => {
      const hit = accounts.get(`${ns}/${name}`);
      return hit && Date.now() - hit.at < CA_TTL_MS ? hit.annotations : undefined;
    },
  });
  const env: AdmissionEnv = {
    context: contextFor,
    ready: () => cache.synced(),
    fetchCa: async (ref) => {
      let pem: string | undefined;
      try {
        const plural = ref.kind === 'ConfigMap' ? 'configmaps' : 'secrets';
        // inside the admission budget (timeoutSeconds ≤ 5)
        const obj = await o.client.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/${plural}/${encodeURIComponent(ref.name)}`, undefined, { timeoutMs: 2000 });
        const v = obj.data?.[ref.key];
        pem = v === undefined ? undefined : ref.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
      } catch (e) {
        o.log.warn({ kind: ref.kind, namespace: ref.namespace, name: ref.name, error: describe(e) }, 'cannot read a store CA (caProvider)');
      }
      cas.set(caKey(ref), { ...(pem !== undefined ? { pem } : {}), at: Date.now() });
      memo.clear();
    },
    fetchServiceAccount: async (namespace, name) => {
      let annotations: Record<string, string> | null = null;
      try {
        const sa = await o.client.request<{ metadata?: { annotations?: Record<string, string> } }>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}`, undefined, { timeoutMs: 2000 });
        annotations = sa.metadata?.annotations ?? {};
      } catch (e) {
        o.log.warn({ namespace, name, error: describe(e) }, 'cannot read a service account a store names');
      }
      accounts.set(`${namespace}/${name}`, { annotations, at: Date.now() });
      memo.clear();
    },
    memo,
  };

  let selfManaged: SelfManagedTls | undefined;
  let tls: TlsFiles | TlsPem;
  if ('selfManaged' in o.tls) {
    selfManaged = new SelfManagedTls({ ...o.tls.selfManaged, client: o.client, log: o.log });
    tls = (await selfManaged.ensure()).pem;
  } else tls = o.tls;
  const server = await startWebhookServer({ host: o.host, port: o.port, tls, env, metrics, log: o.log, ...(o.tlsPollMs ? { tlsPollMs: o.tlsPollMs } : {}) });
  let tlsTimer: NodeJS.Timeout | undefined;
  if (selfManaged && 'selfManaged' in o.tls) {
    const sm = selfManaged;
    // Re-check often: a rotation by another replica, or an upgrade that blanked the caBundle.
    tlsTimer = setInterval(() => {
      sm.ensure().then(
        (r) => (r.changed ? server.reloadTls(r.pem) : undefined),
        (e: unknown) => o.log.error({ error: describe(e) }, 'self-managed TLS check failed'),
      );
    }, o.tls.checkEveryMs ?? 60_000);
    tlsTimer.unref();
  }
  const controller =
    o.controller === false
      ? undefined
      : new PodConfigController({
          client: o.client,
          cache,
          contextFor,
          log: o.log,
          metrics,
          ...(o.controllerRateLimit ? { rateLimit: o.controllerRateLimit } : {}),
          ...(o.controllerWorkers ? { workers: o.controllerWorkers } : {}),
          ...(o.controllerNamespaceSelector ? { namespaceSelector: o.controllerNamespaceSelector } : {}),
        });
  // Status of esi-managed ExternalSecrets and stores: the same leader writes it (webhook/status.ts).
  const status = controller
    ? new StatusController({
        client: o.client,
        cache,
        log: o.log,
        controllerClass: o.defaults?.controllerClass ?? DEFAULT_CONTROLLER_CLASS,
        podExists: (ns, name) => controller.podExists(ns, name),
        manages: (ns) => controller.manages(ns),
        ...(o.controllerRateLimit ? { rateLimit: o.controllerRateLimit } : {}),
      })
    : undefined;
  // Target Secrets whose last writing pod is gone follow their deletionPolicy (webhook/cleanup.ts).
  const cleanup = controller
    ? new SecretCleanup({ client: o.client, log: o.log, pods: (ns) => controller.podsIn(ns), ...(o.cleanupGraceMs !== undefined ? { graceMs: o.cleanupGraceMs } : {}) })
    : undefined;
  if (controller && status && cleanup) {
    controller.onPodDeleted((ns, name, pod) => {
      status.podDeleted(ns, name);
      cleanup.podGone(pod);
    });
  }
  const stopLeading = new AbortController();
  let leading: Promise<void> | undefined;
  const lead = (signal: AbortSignal): Promise<void> => {
    metrics.leader.set(1);
    leading = Promise.all([controller!.lead(signal), status!.lead(signal), cleanup!.lead(signal)])
      .then(() => undefined)
      .finally(() => metrics.leader.set(0));
    return leading;
  };
  const le = o.leaderElection;
  const elector =
    controller && le
      ? new LeaderElector({
          client: o.client,
          namespace: le.namespace,
          name: le.name ?? CONTROLLER_LEASE,
          identity: le.identity ?? `${hostname()}_${randomUUID()}`,
          ...(le.timing ? { timing: le.timing } : {}),
          onStartedLeading: async (signal) => {
            o.log.info({ lease: `${le.namespace}/${le.name ?? CONTROLLER_LEASE}`, identity: elector!.identity }, 'leading: this replica now updates running pods');
            await synced;
            await lead(signal);
          },
          onStoppedLeading: () => o.log.info('stopped leading'),
          onNewLeader: (identity) => o.log.info({ identity }, 'controller leader'),
          onError: (what, err) => o.log.warn(err === undefined ? {} : { error: describe(err) }, what),
        })
      : undefined;

  const synced = (async () => {
    await cache.start();
    metrics.cacheSynced.set(1);
    o.log.info('caches synced');
    await controller?.start();
  })();
  synced.catch((e: unknown) => o.log.error({ error: describe(e) }, 'cache start failed'));
  if (elector) {
    o.log.info({ lease: `${le!.namespace}/${le!.name ?? CONTROLLER_LEASE}`, identity: elector.identity }, 'leader election: campaigning for the controller Lease');
    elector.start();
  }
  else if (controller) void synced.then(() => lead(stopLeading.signal));

  return {
    server,
    port: server.port,
    cache,
    ...(controller ? { controller } : {}),
    ...(status ? { status } : {}),
    ...(elector ? { elector } : {}),
    ...(selfManaged ? { selfManaged } : {}),
    metrics,
    synced,
    close: async () => {
      clearInterval(tlsTimer);
      // Writes in flight finish, then the Lease is released so another replica takes over at once.
      stopLeading.abort();
      await elector?.stop();
      await leading;
      await server.close();
      await controller?.stop();
      await status?.stop();
      await cache.stop();
    },
  };
}
