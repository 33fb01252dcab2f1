/**
 * What esi added to a pod before, from its `esi.dev/injected` annotation — checked, not trusted. The
 * annotation arrives with the pod, so on a CREATE anyone who writes the pod can write it: a claim is
 * honoured only for containers and volumes shaped exactly as esi makes them (the agent's arguments and
 * hardened securityContext, no command, no host paths; volumes of the kinds esi adds). Anything else
 * claimed is the user's: esi refuses the pod rather than replace or delete it.
 */
import { ANNOTATIONS as A, AGENT_CONFIG_ANNOTATION, AGENT_CONFIG_FILE } from '../contract/index.ts';
import { isObject, type Container, type Pod, type Volume } from '../core/index.ts';
import { InjectionDenied } from './errors.ts';

/** Names of what esi added, recorded in `esi.dev/injected` so re-injection recognises its own. */
export interface Ownership {
  initContainers: string[];
  containers: string[];
  volumes: string[];
}

export const EMPTY_OWNERSHIP: Ownership = { initContainers: [], containers: [], volumes: [] };

/** The claim as written; no names that are not strings. */
export function readClaim(annotations: Record<string, string> | undefined): Ownership {
  const raw = annotations?.[A.injected];
  if (typeof raw !== 'string' || raw === '') return EMPTY_OWNERSHIP;
  try {
    const v = JSON.parse(raw) as Partial<Ownership>;
    const strings = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
    return isObject(v) ? { initContainers: strings(v.initContainers), containers: strings(v.containers), volumes: strings(v.volumes) } : EMPTY_OWNERSHIP;
  } catch {
    return EMPTY_OWNERSHIP;
  }
}

/** Fields esi sets on its agent, plus those the apiserver defaults between webhook calls. */
const AGENT_FIELDS = new Set([
  'name', 'image', 'imagePullPolicy', 'args', 'env', 'resources', 'securityContext', 'volumeMounts', 'restartPolicy', 'startupProbe',
  'readinessProbe', 'ports', 'terminationMessagePath', 'terminationMessagePolicy',
]);
const HARDENED: Record<string, unknown> = { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false };

/** Why a container is not one esi made, or undefined. */
function notAnAgent(c: Container, configDir: string, volumes: Map<string, Volume>): string | undefined {
  const extra = Object.keys(c).filter((k) => !AGENT_FIELDS.has(k));
  if (extra.length > 0) return `it has ${extra.map((k) => JSON.stringify(k)).join(', ')}, which esi's agent never has`;
  const args = c.args ?? [];
  const agentArgs = args.length === 5 && args[0] === 'agent' && args[1] === '--config' && args[2] === `${configDir}/${AGENT_CONFIG_FILE}` && args[3] === '--mode' && (args[4] === 'init' || args[4] === 'sidecar');
  if (!agentArgs) return "its args are not esi's agent's";
  const sc = (c.securityContext ?? {}) as Record<string, unknown>;
  const caps = sc['capabilities'] as { add?: unknown; drop?: unknown } | undefined;
  const hardened =
    Object.entries(HARDENED).every(([k, v]) => sc[k] === v) &&
    sc['privileged'] === undefined &&
    isObject(caps) && caps.add === undefined && JSON.stringify(caps.drop) === '["ALL"]' &&
    Object.keys(sc).every((k) => ['runAsNonRoot', 'runAsUser', 'runAsGroup', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'capabilities', 'seccompProfile'].includes(k));
  if (!hardened) return "its securityContext is not esi's hardened one";
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (v && 'hostPath' in v) return `it mounts the hostPath volume ${JSON.stringify(m.name)}`;
  }
  return undefined;
}

const AGENT_CONFIG_FIELD = `metadata.annotations['${AGENT_CONFIG_ANNOTATION}']`;

/** Why a volume is not one esi made, or undefined: esi adds a Memory emptyDir, its config's downward-API file, or projected tokens. */
function notEsiVolume(v: Volume): string | undefined {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length !== 1) return `it has the sources ${sources.map((k) => JSON.stringify(k)).join(', ')}`;
  const r = v as Record<string, unknown>;
  if (isObject(r['emptyDir'])) return r['emptyDir']['medium'] === 'Memory' ? undefined : 'it is not a Memory emptyDir';
  if (isObject(r['downwardAPI'])) {
    const items = r['downwardAPI']['items'];
    const only = Array.isArray(items) && items.every((i) => isObject(i) && isObject(i['fieldRef']) && i['fieldRef']['fieldPath'] === AGENT_CONFIG_FIELD);
    return only ? undefined : "its downwardAPI items are not esi's agent config";
  }
  if (isObject(r['projected'])) {
    const s = r['projected']['sources'];
    const tokens = Array.isArray(s) && s.every((x) => isObject(x) && Object.keys(x).length === 1 && isObject(x['serviceAccountToken']));
    return tokens ? undefined : 'its projected sources are not service-account tokens';
  }
  return `a ${JSON.stringify(sources[0])} volume is not one esi adds`;
}

/**
 * The claim, reduced to what is in the pod and is esi's. A claimed name on something esi did not make
 * is refused: esi would otherwise rebuild the user's container as its agent (keeping their command and
 * mounts), delete it, or merge a second source into their volume.
 */
export function readOwnership(pod: Pod, configDir: string): Ownership {
  const claim = readClaim(pod.metadata.annotations);
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const forged = (what: string, name: string, why: string) =>
    new InjectionDenied(
      'collision',
      `${A.injected}: names ${what} ${JSON.stringify(name)} as esi's, but esi did not add it (${why}); esi writes ${A.injected} itself: remove that annotation, and rename the ${what} if its name starts with "esi-"`,
      A.injected,
    );
  const containers = (field: 'initContainers' | 'containers') =>
    claim[field].filter((name) => {
      const c = (pod.spec[field] ?? []).find((x) => x.name === name);
      if (!c) return false;
      const why = notAnAgent(c, configDir, volumes);
      if (why) throw forged('container', name, why);
      return true;
    });
  const initContainers = containers('initContainers');
  const appContainers = containers('containers');
  const ownedVolumes = claim.volumes.filter((name) => {
    const v = volumes.get(name);
    if (!v) return false;
    const why = notEsiVolume(v);
    if (why) throw forged('volume', name, why);
    return true;
  });
  return { initContainers, containers: appContainers, volumes: ownedVolumes };
}
