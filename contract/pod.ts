/**
 * The pod contract: every name that passes from the injector (webhook, `esi inject`) to the agent in the
 * pod, defined once. The injector writes them into the pod spec, the agent reads them inside the pod, and
 * the README's annotation reference documents them for users; no other module spells them.
 */
import { createHash } from 'node:crypto';

/** The opt-in label: the webhook's objectSelector and the injector select pods by it. */
export const INJECT_LABEL = 'esi.dev/inject';
export const ANNOTATION_PREFIX = 'esi.dev/';

/** Every pod annotation esi reads (set by users) or writes (agentConfig, injected). */
export const ANNOTATIONS = {
  externalSecrets: 'esi.dev/external-secrets',
  store: 'esi.dev/store',
  storeKind: 'esi.dev/store-kind',
  secretPrefix: 'esi.dev/secret-',
  mountPath: 'esi.dev/mount-path',
  containers: 'esi.dev/containers',
  mode: 'esi.dev/mode',
  refreshInterval: 'esi.dev/refresh-interval',
  syncSecret: 'esi.dev/sync-secret',
  onChange: 'esi.dev/on-change',
  fileMode: 'esi.dev/file-mode',
  cpuRequest: 'esi.dev/agent-cpu-request',
  cpuLimit: 'esi.dev/agent-cpu-limit',
  memoryRequest: 'esi.dev/agent-memory-request',
  memoryLimit: 'esi.dev/agent-memory-limit',
  /** Endpoint settings for the agent (allow-listed names, injector/agent-env.ts). */
  agentEnv: 'esi.dev/agent-env',
  /** Port of the agent's health server (probes, metrics). */
  agentPort: 'esi.dev/agent-port',
  /** "true": the agent's readiness (files fresher than the staleness bound) gates the pod's Ready. */
  unreadyWhenStale: 'esi.dev/unready-when-stale',
  /** The staleness bound (Go duration): after it without a successful refresh, /readyz fails. */
  staleAfter: 'esi.dev/stale-after',
  /** Written by esi: the resolved agent configuration (agent-config.ts), projected into the agent's file. */
  agentConfig: 'esi.dev/agent-config',
  /** Written by esi: the names of the containers and volumes esi added, so re-injection finds its own. */
  injected: 'esi.dev/injected',
} as const;

export const AGENT_CONFIG_ANNOTATION = ANNOTATIONS.agentConfig;
/** On the agent's Kubernetes Events: which ExternalSecret the Event is about. */
export const EVENT_EXTERNAL_SECRET_ANNOTATION = 'esi.dev/external-secret';

/**
 * How agents report sync results for the status of esi-managed ExternalSecrets: Events on the
 * ExternalSecret itself (the `events: create` the pod already has, no RBAC on ESO objects), from source
 * component `esi-agent`, with these annotations; the webhook's controller watches them and writes the
 * ExternalSecret's status (webhook/status.ts). Values never appear: only names, ESO's condition texts
 * and error messages (which never carry values).
 */
export const STATUS_REPORT = {
  /** `source.component` of every agent Event (the controller's watch selects on it). */
  component: 'esi-agent',
  /** The Event reason of a report with no ESO Event of its own (a pod's first sync, a recovery, a new ExternalSecret version). */
  syncedReason: 'Synced',
  annotations: {
    pod: 'esi.dev/pod',
    /** externalSecretVersion() of the ExternalSecret the agent synced. */
    version: 'esi.dev/external-secret-version',
    /** The Ready condition the sync amounts to: "True" or "False", ESO's reason and message. */
    ready: 'esi.dev/ready',
    reason: 'esi.dev/condition-reason',
    message: 'esi.dev/condition-message',
    /** When the sync started (RFC 3339, whole seconds): `status.refreshTime`. */
    syncedAt: 'esi.dev/synced-at',
    /** The target Secret the agent wrote (sync-secret): `status.binding`. */
    binding: 'esi.dev/binding',
  },
} as const;

/**
 * Which version of an ExternalSecret a sync used, as the agent's config and the controller's cache can
 * both compute it: uid, labels, annotations (without kubectl's last-applied copy) and spec. The agent's
 * config has no generation, so ESO's `<generation>-<hash>` (eso/ resourceVersionOf) is computed by the
 * controller from the live object once a report names the current version.
 */
export function externalSecretVersion(es: { metadata: { uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: unknown }): string {
  const annotations = { ...(es.metadata.annotations ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const text = canonicalJson([es.metadata.uid ?? '', es.metadata.labels ?? {}, annotations, es.spec]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** JSON with object keys sorted at every level: the same value gives the same text whatever built it. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Env the injector gives the agent containers (downward API) and the agent reads. */
export const ENV = {
  podName: 'ESI_POD_NAME',
  podNamespace: 'ESI_POD_NAMESPACE',
  podUid: 'ESI_POD_UID',
  /** `host:port` of the agent's health server; `off` disables it. */
  healthAddr: 'ESI_AGENT_HEALTH_ADDR',
  logLevel: 'ESI_LOG_LEVEL',
  /** Set by a user in an app container as a fallback on-change marker (see ON_CHANGE_MARKER_DIR). */
  containerName: 'ESI_CONTAINER_NAME',
  /** Node's own: the injector sets it to AGENT_NODE_OPTIONS; no pod may (injector/agent-env.ts). */
  nodeOptions: 'NODE_OPTIONS',
} as const;

/**
 * What the injector puts in NODE_OPTIONS of every agent container. A 1 MiB semi-space keeps V8's young
 * generation from growing to several MiB while the agent starts (loading a provider's SDK allocates a
 * lot) and then staying that size for the pod's life: about 2 MiB less idle RSS with a Vault store and
 * 3 MiB with AWS (bench/peers). The price is more young-generation collections while starting, 10–20 ms
 * of CPU once per pod; an idle agent allocates little, so nothing after that. Node allows this V8 flag in
 * NODE_OPTIONS (https://nodejs.org/api/cli.html#node_optionsoptions).
 */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=1';

/** The downward-API fields behind ENV.podName / podNamespace / podUid. */
export const POD_FIELD_ENV: readonly { name: string; fieldPath: string }[] = [
  { name: ENV.podName, fieldPath: 'metadata.name' },
  { name: ENV.podNamespace, fieldPath: 'metadata.namespace' },
  { name: ENV.podUid, fieldPath: 'metadata.uid' },
];

/**
 * The agent's health and metrics server: the native sidecar's startup probe points here. The port is the
 * default; the injector always passes the one it chose in ENV.healthAddr and declares it on the container.
 */
export const HEALTH = {
  port: 8099,
  /** hostNetwork pods share the node's ports: the injector picks one of this range per workload. */
  hostNetworkRange: { first: 18100, count: 900 },
  portName: 'esi-health',
  /** 200 only after the first complete sync. */
  startupPath: '/startupz',
  readyPath: '/readyz',
  livePath: '/healthz',
  metricsPath: '/metrics',
} as const;

/** Where the agent finds its config: the downward-API volume's directory and file. */
export const CONFIG_DIR = '/etc/esi';
export const AGENT_CONFIG_FILE = 'agent-config.json';
/** Format version of the agent config; the agent refuses another (agent and webhook versions differ). */
export const AGENT_CONFIG_VERSION = 1;

/** Where app containers see the files unless `esi.dev/mount-path` says otherwise. */
export const DEFAULT_MOUNT_PATH = '/var/run/secrets/esi';
/**
 * Projected service-account tokens a provider logs in with (its `serviceAccountToken` need, e.g. Vault
 * Kubernetes/JWT auth): the injector projects one per provider into a volume of its own, mounted in the
 * agent at serviceAccountTokenDir(<provider name>), and writes the file's path into the agent config
 * (AgentConfig.serviceAccountTokens), which the agent hands to that provider. Field meanings as in
 * Kubernetes' ServiceAccountTokenProjection (core/v1).
 */
export const SERVICE_ACCOUNT_TOKEN = {
  /** File name in the projected volume unless the provider names another. */
  file: 'token',
  /** Lifetime the kubelet requests unless the provider asks for another; it rotates the file at 80%. */
  expirationSeconds: 3600,
} as const;
/** Where the agent sees a provider's projected token, e.g. `/var/run/secrets/esi.dev/vault`. */
export function serviceAccountTokenDir(provider: string): string {
  return `/var/run/secrets/esi.dev/${provider}`;
}
/** Base name of the projected-token volume of a provider, e.g. `esi-vault-token`. */
export function serviceAccountTokenVolume(provider: string): string {
  return `esi-${provider}-token`;
}
/**
 * `esi.dev/on-change: signal:<SIG>:<container>`: the injector mounts an empty read-only volume at
 * `<this>/<container>` in the target container only, so the agent finds that container's processes by a
 * mount point in /proc/<pid>/mountinfo (no env of the user's container is changed).
 */
export const ON_CHANGE_MARKER_DIR = '/var/run/secrets/esi.dev/on-change';

/** Under the mount path: touched after the first complete sync (for an `exec` probe: `test -f`). */
export const READY_FILE_NAME = '..esi-ready';
/** Under the mount path: rewritten (atomically) after every change of any file set, a counter. */
export const VERSION_FILE_NAME = '..esi-version';
/** Under the mount path: what the init agent synced, so the sidecar does not fetch everything again. */
export const STATE_FILE_NAME = '..esi-state.json';

/**
 * Permission bits of the secret files when the pod does not set `esi.dev/file-mode`: readable by every
 * uid, like a Kubernetes secret volume's files (defaultMode 0644 without the write bit), because the agent
 * writes them as its own uid and the app usually runs as another without a shared fsGroup.
 */
export const DEFAULT_FILE_MODE = 0o444;

/** esi's `spec.controller` class: stores of it are esi's to write Secrets for (`esi.dev/sync-secret`). */
export const DEFAULT_CONTROLLER_CLASS = 'esi';

/**
 * Env name of one static credential a store names by secretRef, delivered to the agent as `secretKeyRef`
 * env: `ESI_<WHAT>_<SS|CSS>_<STORE NAME>_<hash8>`, readable, and unique per store even when two names map
 * to the same upper-cased text (`a-b` / `a.b`).
 */
export function storeEnvName(what: string, storeKind: string, storeName: string): string {
  const kind = storeKind === 'ClusterSecretStore' ? 'CSS' : 'SS';
  const readable = storeName.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const hash = createHash('sha256').update(`${kind}/${storeName}`).digest('hex').slice(0, 8);
  return `ESI_${what}_${kind}_${readable}_${hash}`;
}
