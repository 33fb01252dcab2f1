/**
 * Build: settings + resolved objects + cluster facts → the plan: which containers, volumes, mounts and
 * annotations esi adds to this pod. Pure; names never collide with the user's.
 */
import type { Container, EnvVar, Pod, Probe, Volume, VolumeMount } from '../core/index.ts';
import {
  AGENT_CONFIG_ANNOTATION,
  AGENT_CONFIG_FILE,
  AGENT_CONFIG_VERSION,
  AGENT_NODE_OPTIONS,
  CONFIG_DIR,
  DEFAULT_CONTROLLER_CLASS,
  DEFAULT_FILE_MODE,
  DEFAULT_MOUNT_PATH,
  ENV,
  HEALTH,
  ON_CHANGE_MARKER_DIR,
  POD_FIELD_ENV,
  mountPathProblem,
  serviceAccountTokenDir,
  serviceAccountTokenVolume,
  type AgentConfig,
} from '../contract/index.ts';
import { IDENTITY_ENV, SERVICE_ACCOUNT_TOKEN_DIRS } from '../providers/index.ts';
import { agentEnv } from './agent-env.ts';
import { badAnnotation, InjectionDenied } from './errors.ts';
import { agentHealthPort } from './health-port.ts';
import { cloneJson } from './json-patch.ts';
import { readOwnership, type Ownership } from './ownership.ts';
export type { Ownership } from './ownership.ts';
import type { Resolved } from './resolve.ts';
import { compareQuantities, parseQuantity } from './quantity.ts';
import { A, type Mode, type PodSettings } from './settings.ts';

export interface InjectDefaults {
  mountPath: string;
  /** Where the agent sees its config file (downward-API volume). */
  configDir: string;
  fileMode: number;
  mode: Mode;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  /** `spec.controller` class of stores esi may write Secrets for (esi.dev/sync-secret). */
  controllerClass: string;
  startupProbe: { port: number; path: string };
  /** Allow-listed agent env for every injected pod (`esi webhook --agent-env`, chart `agent.env`). */
  agentEnv: Record<string, string>;
  runAsUser: number;
}

export const DEFAULTS: InjectDefaults = {
  mountPath: DEFAULT_MOUNT_PATH,
  configDir: CONFIG_DIR,
  fileMode: DEFAULT_FILE_MODE,
  mode: 'both',
  // Node with the AWS SDK idles at ~56 MiB RSS on Node 20, ~65 MiB on Node 22 (bench/peers); at or below vault-k8s's 64Mi/128Mi.
  resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  controllerClass: DEFAULT_CONTROLLER_CLASS,
  startupProbe: { port: HEALTH.port, path: HEALTH.startupPath },
  agentEnv: {},
  runAsUser: 65532,
};

/** Env of the pod's own identity the agent copies from the app containers (each provider names its own). */
export { IDENTITY_ENV };

export { AGENT_CONFIG_FILE };
export const DEFAULT_AGENT_IMAGE = 'ghcr.io/esi-dev/esi:0.1.0';

export interface ClusterFacts {
  /** KEP-753 native sidecars (`restartPolicy: Always` init containers): GA in 1.33, on by default since 1.29. */
  nativeSidecars: boolean;
}

export interface Plan {
  namespace: string;
  mode: Mode;
  /** The agent runs as a native sidecar (vs. init agent + classic sidecar). */
  native: boolean;
  /** Pod of a Job (or restartPolicy Never/OnFailure): never a classic sidecar. */
  jobLike: boolean;
  agentConfig: AgentConfig;
  /** esi's init containers, in order, placed before the user's. */
  initContainers: Container[];
  /** esi's classic sidecar, appended to the containers. */
  containers: Container[];
  volumes: Volume[];
  /** The mounts user containers get: the secrets volume where selected, the on-change marker in the signal target. */
  mounts: { container: string; mount: VolumeMount }[];
  annotations: Record<string, string>;
  shareProcessNamespace: boolean;
  owned: Ownership;
  /** Names esi owned before (from the pod's `esi.dev/injected`). */
  previouslyOwned: Ownership;
  warnings: string[];
}

/** First of base, base-2, base-3 … that is ours already or not used by the user. */
function pickName(base: string, taken: Set<string>, owned: Set<string>, claimed: Set<string>): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    if (claimed.has(name)) continue;
    if (owned.has(name) || !taken.has(name)) {
      claimed.add(name);
      return name;
    }
  }
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Identity env and token mounts the pod's own containers got from the EKS Pod Identity / IRSA webhooks. */
function identityFrom(userContainers: Container[], volumes: Volume[]): { env: EnvVar[]; mounts: VolumeMount[] } {
  const env: EnvVar[] = [];
  const mounts: VolumeMount[] = [];
  const volumeNames = new Set(volumes.map((v) => v.name));
  for (const name of IDENTITY_ENV) {
    const source = userContainers.find((c) => (c.env ?? []).some((e) => e.name === name));
    const e = source?.env?.find((x) => x.name === name);
    if (!source || !e) continue;
    env.push(cloneJson(e));
    if (name.endsWith('_TOKEN_FILE') && typeof e.value === 'string') {
      const dir = dirOf(e.value);
      const m = (source.volumeMounts ?? [])
        .filter((vm) => volumeNames.has(vm.name) && (e.value === vm.mountPath || e.value!.startsWith(vm.mountPath.replace(/\/$/, '') + '/')))
        .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
      if (m && !mounts.some((x) => x.mountPath === m.mountPath)) {
        mounts.push({ name: m.name, mountPath: m.mountPath, readOnly: true, ...(m.subPath ? { subPath: m.subPath } : {}) });
      } else if (!m && dir !== '/') {
        // The token file is not on a volume we can see; the agent gets the env and whatever the image has.
      }
    }
  }
  return { env, mounts };
}

function isJobLike(pod: Pod, workloadKind: string | undefined): boolean {
  if (workloadKind === 'Job' || workloadKind === 'CronJob') return true;
  if ((pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'Job')) return true;
  return pod.spec.restartPolicy === 'Never' || pod.spec.restartPolicy === 'OnFailure';
}

/** The service account the pod runs as (`serviceAccount` is its deprecated alias). */
export function serviceAccountOf(pod: Pod): string {
  return pod.spec.serviceAccountName ?? (pod.spec['serviceAccount'] as string | undefined) ?? 'default';
}

export interface AgentConfigInput {
  namespace: string;
  namespaceLabels: Record<string, string>;
  serviceAccountName: string;
  settings: PodSettings;
  resolved: Resolved;
  defaults: InjectDefaults;
}

/**
 * The agent's config: a function of the pod's settings, the resolved objects, its namespace and service
 * account, and nothing else of the pod spec. The webhook's controller recomputes it for running pods from
 * those alone (webhook/pod-record.ts keeps no spec). Pure.
 */
export function agentConfigFor(i: AgentConfigInput): AgentConfig {
  const { settings, resolved, defaults } = i;
  return {
    version: AGENT_CONFIG_VERSION,
    pod: { namespace: i.namespace, serviceAccountName: i.serviceAccountName },
    mountPath: settings.mountPath ?? defaults.mountPath,
    fileMode: settings.fileMode ?? defaults.fileMode,
    ...(settings.refreshInterval !== undefined ? { refreshInterval: settings.refreshInterval } : {}),
    ...(settings.staleAfter !== undefined ? { staleAfter: settings.staleAfter } : {}),
    ...(settings.onChange ? { onChange: settings.onChange } : {}),
    externalSecrets: resolved.externalSecrets,
    stores: resolved.stores,
    ...(Object.values(resolved.stores).some((s) => s.kind === 'ClusterSecretStore') ? { namespaceLabels: i.namespaceLabels } : {}),
    ...(Object.keys(resolved.serviceAccountTokens).length
      ? { serviceAccountTokens: Object.fromEntries(Object.entries(resolved.serviceAccountTokens).map(([provider, t]) => [provider, `${serviceAccountTokenDir(provider)}/${t.path}`])) }
      : {}),
    // The class admission checked sync-secret against; the agent writes Secrets only for stores of it.
    controllerClass: defaults.controllerClass,
  };
}

export interface BuildInput {
  pod: Pod;
  namespace: string;
  namespaceLabels: Record<string, string>;
  settings: PodSettings;
  resolved: Resolved;
  cluster: ClusterFacts;
  agentImage: string;
  defaults: InjectDefaults;
  workloadKind?: string;
}

export function buildPlan(inp: BuildInput): Plan {
  const { pod, settings, resolved, defaults } = inp;
  const spec = pod.spec;
  const warnings = [...resolved.warnings];
  const previouslyOwned = readOwnership(pod, defaults.configDir);
  const ownedInit = new Set(previouslyOwned.initContainers);
  const ownedContainers = new Set(previouslyOwned.containers);
  const ownedVolumes = new Set(previouslyOwned.volumes);
  const userInit = (spec.initContainers ?? []).filter((c) => !ownedInit.has(c.name));
  const userApp = (spec.containers ?? []).filter((c) => !ownedContainers.has(c.name));
  const userVolumes = (spec.volumes ?? []).filter((v) => !ownedVolumes.has(v.name));

  // Which user containers see the files.
  const allUserNames = [...userApp, ...userInit].map((c) => c.name);
  let selected: string[];
  if (settings.containers) {
    for (const name of settings.containers) {
      if (!allUserNames.includes(name)) {
        throw new InjectionDenied(
          'invalid-annotation',
          `${A.containers}: container ${JSON.stringify(name)} is not in the pod; the pod's containers are ${allUserNames.map((n) => JSON.stringify(n)).join(', ')}`,
          A.containers,
        );
      }
    }
    selected = settings.containers;
  } else {
    selected = allUserNames;
  }

  const mountPath = settings.mountPath ?? defaults.mountPath;
  const mountProblem = mountPathProblem(mountPath, [defaults.configDir, ...SERVICE_ACCOUNT_TOKEN_DIRS, ON_CHANGE_MARKER_DIR]);
  if (mountProblem) throw badAnnotation(A.mountPath, mountPath, mountProblem);
  const mode = settings.mode ?? defaults.mode;
  const native = inp.cluster.nativeSidecars;
  const jobLike = isJobLike(pod, inp.workloadKind);

  // Names: containers share one namespace (init + app), volumes another.
  const takenContainers = new Set([...userApp, ...userInit].map((c) => c.name));
  const ownedContainerNames = new Set([...ownedInit, ...ownedContainers]);
  const claimedContainers = new Set<string>();
  const takenVolumes = new Set(userVolumes.map((v) => v.name));
  const claimedVolumes = new Set<string>();
  const volName = (base: string) => pickName(base, takenVolumes, ownedVolumes, claimedVolumes);
  const ctrName = (base: string) => pickName(base, takenContainers, ownedContainerNames, claimedContainers);

  const secretsVolume = volName('esi-secrets');
  const configVolume = volName('esi-config');
  // One projected token per provider that logs in with one; the agent finds each by its provider's name.
  const tokens = Object.entries(resolved.serviceAccountTokens).map(([provider, token]) => ({
    provider,
    token,
    volume: volName(serviceAccountTokenVolume(provider)),
    dir: serviceAccountTokenDir(provider),
  }));
  const markerVolume = settings.onChange?.signal ? volName('esi-on-change') : undefined;

  // The secrets mount path must not already be used by the user in a container that gets it.
  for (const c of [...userApp, ...userInit]) {
    if (!selected.includes(c.name)) continue;
    const clash = (c.volumeMounts ?? []).find((m) => m.mountPath.replace(/\/+$/, '') === mountPath && m.name !== secretsVolume);
    if (clash) {
      throw new InjectionDenied(
        'collision',
        `${A.mountPath}: ${JSON.stringify(mountPath)} is already used in container ${JSON.stringify(c.name)} by volume ${JSON.stringify(clash.name)}; set ${A.mountPath} to a free directory`,
        A.mountPath,
      );
    }
  }

  // Resources: defaults, overridden per annotation; a request never above its limit.
  const requests = { ...defaults.resources.requests, ...settings.resources.requests };
  const limits = { ...defaults.resources.limits, ...settings.resources.limits };
  for (const r of ['cpu', 'memory'] as const) {
    const request = requests[r] === undefined ? undefined : parseQuantity(requests[r]!);
    const limit = limits[r] === undefined ? undefined : parseQuantity(limits[r]!);
    if (request && limit && compareQuantities(request, limit) > 0) {
      const ann = r === 'cpu' ? (settings.resources.requests.cpu ? A.cpuRequest : A.cpuLimit) : settings.resources.requests.memory ? A.memoryRequest : A.memoryLimit;
      throw new InjectionDenied(
        'invalid-annotation',
        `${ann}: the agent's ${r} request ${requests[r]} is above its limit ${limits[r]}; raise ${r === 'cpu' ? A.cpuLimit : A.memoryLimit} or lower ${r === 'cpu' ? A.cpuRequest : A.memoryRequest}`,
        ann,
      );
    }
  }

  // on-change: a signal needs a shared process namespace and the target's uid.
  let shareProcessNamespace = false;
  let runAsUser = defaults.runAsUser;
  if (settings.onChange?.signal) {
    const target = settings.onChange.signal.container;
    const c = userApp.find((x) => x.name === target);
    if (!c) {
      throw new InjectionDenied(
        'invalid-annotation',
        `${A.onChange}: container ${JSON.stringify(target)} is not an app container of the pod; use one of ${userApp.map((x) => JSON.stringify(x.name)).join(', ')}`,
        A.onChange,
      );
    }
    if (spec.shareProcessNamespace === false) {
      throw new InjectionDenied(
        'invalid-annotation',
        `${A.onChange}: signalling container ${JSON.stringify(target)} needs a shared process namespace, but the pod sets shareProcessNamespace: false; remove that field or use a reload URL`,
        A.onChange,
      );
    }
    shareProcessNamespace = spec.shareProcessNamespace !== true;
    const uid = (c.securityContext?.['runAsUser'] as number | undefined) ?? spec.securityContext?.runAsUser;
    if (typeof uid === 'number' && uid > 0) runAsUser = uid;
    else {
      warnings.push(`${A.onChange}: the agent can only signal processes of its own uid; set runAsUser on container ${target}`);
    }
  }

  const configDir = defaults.configDir;
  const agentConfig = agentConfigFor({ namespace: inp.namespace, namespaceLabels: inp.namespaceLabels, serviceAccountName: serviceAccountOf(pod), settings, resolved, defaults });

  const identity = identityFrom([...userApp, ...userInit], spec.volumes ?? []);
  // fieldRef.apiVersion as the apiserver stores it (it defaults to v1), so a reinvocation or the
  // controller compares equal instead of seeing a drift on every pass.
  const env: EnvVar[] = [
    ...POD_FIELD_ENV.map(({ name, fieldPath }) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } })),
    ...identity.env,
    ...agentEnv(defaults.agentEnv, [...userApp, ...userInit], settings.agentEnv),
    ...resolved.credentialEnv,
    ...resolved.annotationEnv,
    { name: ENV.nodeOptions, value: AGENT_NODE_OPTIONS },
  ];
  const healthPort = agentHealthPort(pod, [...userApp, ...userInit], inp.namespace, settings.agentPort, defaults.startupProbe.port);
  const agentMounts: VolumeMount[] = [
    { name: secretsVolume, mountPath },
    { name: configVolume, mountPath: configDir, readOnly: true },
    ...tokens.map((t) => ({ name: t.volume, mountPath: t.dir, readOnly: true })),
    ...identity.mounts.filter((m) => m.mountPath !== mountPath && m.mountPath !== configDir),
  ];
  const securityContext = {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup: runAsUser,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  // Only the sidecar serves health: it gets the port in its env and declares it (a host port under
  // hostNetwork, so the scheduler keeps two pods wanting it apart). Every agent container reports why it
  // stopped in its termination message (agent/termination.ts), with the log tail as the fallback.
  const agent = (name: string, agentMode: 'init' | 'sidecar', extra: Partial<Container>): Container => ({
    name,
    image: inp.agentImage,
    imagePullPolicy: 'IfNotPresent',
    args: ['agent', '--config', `${configDir}/${AGENT_CONFIG_FILE}`, '--mode', agentMode],
    ...(agentMode === 'sidecar' ? { ports: [{ name: HEALTH.portName, containerPort: healthPort, protocol: 'TCP' }] } : {}),
    ...extra,
    env: agentMode === 'sidecar' ? [...cloneJson(env), { name: ENV.healthAddr, value: `0.0.0.0:${healthPort}` }] : cloneJson(env),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    resources: { requests: { ...requests }, limits: { ...limits } },
    securityContext: cloneJson(securityContext),
    volumeMounts: cloneJson(agentMounts),
  });
  const startupProbe: Probe = {
    httpGet: { path: defaults.startupProbe.path, port: healthPort },
    periodSeconds: 1,
    failureThreshold: 300,
    timeoutSeconds: 1,
  };
  // esi.dev/unready-when-stale: /readyz fails once no refresh succeeded within the staleness bound; as a
  // readiness probe of a sidecar (native or classic) it makes the pod NotReady. Off by default: a backend
  // outage then keeps serving the last good files instead of taking every replica out of its Services.
  const readinessProbe: Probe | undefined = settings.unreadyWhenStale
    ? { httpGet: { path: HEALTH.readyPath, port: healthPort }, periodSeconds: 10, failureThreshold: 1, timeoutSeconds: 1 }
    : undefined;
  const ready = readinessProbe ? { readinessProbe } : {};

  const initContainers: Container[] = [];
  const containers: Container[] = [];
  if (native) {
    if (mode === 'init') initContainers.push(agent(ctrName('esi-agent-init'), 'init', {}));
    else initContainers.push(agent(ctrName('esi-agent'), 'sidecar', { restartPolicy: 'Always', ...(mode === 'both' ? { startupProbe } : {}), ...ready }));
  } else {
    if (mode === 'sidecar' && jobLike) {
      throw new InjectionDenied(
        'invalid-annotation',
        `${A.mode}: "sidecar" is not valid for a Job's pod on a cluster without native sidecars: a classic sidecar never exits, so the Job would never complete; use init (or both, which becomes init)`,
        A.mode,
      );
    }
    if (mode !== 'sidecar') initContainers.push(agent(ctrName('esi-agent-init'), 'init', {}));
    if (mode !== 'init') {
      if (jobLike) warnings.push(`${A.mode}: a Job's pod gets no classic sidecar (it would never exit); the files are written once by the init agent`);
      else containers.push(agent(ctrName('esi-agent'), 'sidecar', { ...ready }));
    }
  }

  const declaredPorts = [...userApp, ...userInit].flatMap((c) => (c.ports ?? []).map((p) => ({ c: c.name, port: p.containerPort })));
  const portClash = declaredPorts.find((p) => p.port === healthPort);
  if (portClash && [...initContainers, ...containers].some((c) => c.ports?.length)) {
    throw new InjectionDenied(
      'collision',
      `${A.agentPort}: container ${JSON.stringify(portClash.c)} declares port ${portClash.port}, which the esi agent's health server (probes, metrics) needs; set ${A.agentPort} to a free port`,
      A.agentPort,
    );
  }

  const volumes: Volume[] = [
    { name: secretsVolume, emptyDir: { medium: 'Memory' } },
    {
      name: configVolume,
      downwardAPI: { items: [{ path: AGENT_CONFIG_FILE, fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${AGENT_CONFIG_ANNOTATION}']` } }] },
    },
  ];
  if (markerVolume) volumes.push({ name: markerVolume, emptyDir: { medium: 'Memory', sizeLimit: '1Ki' } });
  for (const { volume, token } of tokens) {
    const { path, expirationSeconds, audience } = token;
    volumes.push({ name: volume, projected: { sources: [{ serviceAccountToken: { path, expirationSeconds, ...(audience ? { audience } : {}) } }] } });
  }

  const owned: Ownership = {
    initContainers: initContainers.map((c) => c.name),
    containers: containers.map((c) => c.name),
    volumes: volumes.map((v) => v.name),
  };
  return {
    namespace: inp.namespace,
    mode,
    native,
    jobLike,
    agentConfig,
    initContainers,
    containers,
    volumes,
    mounts: [
      ...selected.map((container) => ({ container, mount: { name: secretsVolume, mountPath, readOnly: true } })),
      ...(markerVolume && settings.onChange?.signal
        ? [{ container: settings.onChange.signal.container, mount: { name: markerVolume, mountPath: `${ON_CHANGE_MARKER_DIR}/${settings.onChange.signal.container}`, readOnly: true } }]
        : []),
    ],
    annotations: {
      [AGENT_CONFIG_ANNOTATION]: JSON.stringify(agentConfig),
      [A.injected]: JSON.stringify(owned),
    },
    shareProcessNamespace,
    owned,
    previouslyOwned,
    warnings,
  };
}
