/**
 * The pod contract: the opt-in label and the `esi.dev/*` annotations, read into one `PodSettings`
 * value. Every malformed value is refused here with a message naming the annotation, the value and the
 * fix, before anything is resolved or built.
 */
import {
  ANNOTATION_PREFIX,
  ANNOTATIONS,
  INJECT_LABEL,
  fileModeProblem,
  fileNameProblem,
  mountPathProblem,
  normaliseMountPath,
  refreshIntervalProblem,
  staleAfterProblem,
  reloadUrlProblem,
  shownValue,
  signalProblem,
} from '../contract/index.ts';
import { isUnsignedDuration } from '../core/go/time.ts';
import { parseGoDuration } from '../eso/index.ts';
import { parseAgentEnvAnnotation } from './agent-env.ts';
import { badAnnotation, InjectionDenied } from './errors.ts';
import { isPositive, parseQuantity } from './quantity.ts';

export { INJECT_LABEL };
export const PREFIX = ANNOTATION_PREFIX;

export const A = ANNOTATIONS;

export type Mode = 'init' | 'sidecar' | 'both';

export interface InlineSecret {
  /** File name under the mount path (from `esi.dev/secret-<file>`). */
  file: string;
  key: string;
  property?: string;
}

export interface PodSettings {
  externalSecrets: string[];
  inline?: { store: string; storeKind: 'SecretStore' | 'ClusterSecretStore'; secrets: InlineSecret[] };
  mountPath?: string;
  containers?: string[];
  mode?: Mode;
  refreshInterval?: string;
  syncSecret: boolean;
  onChange?: { signal?: { signal: string; container: string }; url?: string };
  fileMode?: number;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  /** Allow-listed agent env from `esi.dev/agent-env`. */
  agentEnv?: Record<string, string>;
  /** `esi.dev/agent-port`. */
  agentPort?: number;
  /** `esi.dev/unready-when-stale`: the agent's /readyz becomes the pod's readiness. */
  unreadyWhenStale: boolean;
  /** `esi.dev/stale-after`: the staleness bound, Go duration text. */
  staleAfter?: string;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The annotations esi reads or writes; anything else under `esi.dev/` is most likely a typo. */
export function isKnownAnnotation(key: string): boolean {
  if (key.startsWith(A.secretPrefix)) return true;
  return (Object.values(A) as string[]).includes(key);
}

export function wantsInjection(labels: Record<string, string> | undefined): boolean {
  return labels?.[INJECT_LABEL] === 'true';
}

function list(annotation: string, raw: string, what: string, re: RegExp, example: string): string[] {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) {
    throw badAnnotation(annotation, raw, `give a comma-separated list of ${what} without empty entries, e.g. "${example}"`);
  }
  for (const item of items) {
    if (item.includes('/')) {
      throw new InjectionDenied(
        'cross-namespace',
        `${annotation}: ${shownValue(item)} is not valid: names refer to the pod's own namespace; cross-namespace references are not allowed (create the object in the pod's namespace and list it by name)`,
        annotation,
      );
    }
    if (!re.test(item) || item.length > 253) {
      throw badAnnotation(annotation, raw, `${shownValue(item)} is not a valid name; give a comma-separated list of ${what}, e.g. "${example}"`);
    }
  }
  return [...new Set(items)];
}

function parseFileMode(raw: string): number {
  const m = /^(0o|0)?([0-7]{1,4})$/.exec(raw.trim());
  const mode = m ? parseInt(m[2]!, 8) : NaN;
  const problem = fileModeProblem(mode);
  if (problem) throw badAnnotation(A.fileMode, raw, problem);
  return mode;
}

/** Normalised first (`//a/./b/` is `/a/b`, as the kubelet mounts it), then checked. */
function parseMountPath(raw: string): string {
  const p = raw.trim();
  const path = p.startsWith('/') && !p.split('/').includes('..') ? normaliseMountPath(p) : p;
  const problem = mountPathProblem(path);
  if (problem) throw badAnnotation(A.mountPath, raw, problem);
  return path;
}

function parseOnChange(raw: string): NonNullable<PodSettings['onChange']> {
  const v = raw.trim();
  if (v.startsWith('signal:')) {
    const parts = v.split(':');
    const problem = parts.length === 3 ? signalProblem(parts[1]!, parts[2]!) : signalProblem('', '');
    if (problem) throw badAnnotation(A.onChange, raw, problem);
    return { signal: { signal: `SIG${parts[1]!.toUpperCase().replace(/^SIG/, '')}`, container: parts[2]! } };
  }
  const problem = reloadUrlProblem(v);
  if (problem) throw badAnnotation(A.onChange, raw, problem);
  return { url: new URL(v).toString() };
}

/** A port the agent may bind as uid 65532 (no privileged ports) and that is not the kubelet's (10250). */
export function parseAgentPort(raw: string): number {
  const t = raw.trim();
  const port = /^[0-9]{1,5}$/.test(t) ? Number(t) : NaN;
  if (!(port >= 1024 && port <= 65535) || port === 10250) {
    throw badAnnotation(A.agentPort, raw, 'give a port between 1024 and 65535 (not 10250), free in the pod, e.g. "8099"');
  }
  return port;
}

function parseBool(annotation: string, raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw badAnnotation(annotation, raw, 'use "true" or "false"');
}

/** Reads and validates every `esi.dev/*` annotation of a pod (or pod template). */
export function readSettings(annotations: Record<string, string> | undefined): PodSettings {
  const ann = annotations ?? {};
  for (const [key, value] of Object.entries(ann)) {
    if (key.startsWith(PREFIX) && typeof value !== 'string') {
      throw new InjectionDenied(
        'invalid-annotation',
        `${key}: annotation values must be strings, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}; quote the value in YAML (e.g. "0440", "true", "30s")`,
        key,
      );
    }
    if (key.startsWith(PREFIX) && !isKnownAnnotation(key)) {
      throw new InjectionDenied(
        'unknown-annotation',
        `${key}: unknown esi annotation (a typo?); known: ${[A.externalSecrets, A.store, A.storeKind, `${A.secretPrefix}<file>`, A.mountPath, A.containers, A.mode, A.refreshInterval, A.syncSecret, A.onChange, A.fileMode, A.cpuRequest, A.cpuLimit, A.memoryRequest, A.memoryLimit, A.agentEnv, A.agentPort, A.unreadyWhenStale, A.staleAfter].join(', ')}`,
        key,
      );
    }
  }
  const s: PodSettings = { externalSecrets: [], syncSecret: false, resources: { requests: {}, limits: {} }, unreadyWhenStale: false };

  const es = ann[A.externalSecrets];
  if (es !== undefined) s.externalSecrets = list(A.externalSecrets, es, 'ExternalSecret names', DNS1123_SUBDOMAIN, 'db-credentials,api-token');

  const secrets: InlineSecret[] = [];
  for (const [key, raw] of Object.entries(ann)) {
    if (!key.startsWith(A.secretPrefix)) continue;
    const file = key.slice(A.secretPrefix.length);
    const fileProblem = fileNameProblem(file);
    if (fileProblem) throw badAnnotation(key, raw, `the file name after "${A.secretPrefix}" is not valid: ${fileProblem}; e.g. "${A.secretPrefix}password"`);
    const hash = raw.indexOf('#');
    const remoteKey = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    const property = hash < 0 ? undefined : raw.slice(hash + 1).trim();
    if (remoteKey === '' || property === '') {
      throw badAnnotation(key, raw, 'give the remote key and optionally a property: "<key>" or "<key>#<property>", e.g. "prod/db#password"');
    }
    secrets.push({ file, key: remoteKey, ...(property !== undefined ? { property } : {}) });
  }
  secrets.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const store = ann[A.store];
  const storeKind = ann[A.storeKind];
  if (storeKind !== undefined && storeKind !== 'SecretStore' && storeKind !== 'ClusterSecretStore') {
    throw badAnnotation(A.storeKind, storeKind, 'use "SecretStore" (the default) or "ClusterSecretStore"');
  }
  if (store !== undefined) {
    if (store.includes('/')) {
      throw new InjectionDenied(
        'cross-namespace',
        `${A.store}: ${shownValue(store)} is not valid: a SecretStore is read from the pod's own namespace only (or use a ClusterSecretStore with ${A.storeKind}: ClusterSecretStore)`,
        A.store,
      );
    }
    if (!DNS1123_SUBDOMAIN.test(store) || store.length > 253) throw badAnnotation(A.store, store, 'give the name of a SecretStore in the pod\'s namespace, or of a ClusterSecretStore');
    if (secrets.length === 0) {
      throw badAnnotation(A.store, store, `the inline shorthand needs at least one "${A.secretPrefix}<file>: <key>[#<property>]" annotation`);
    }
    s.inline = { store, storeKind: (storeKind as 'SecretStore' | 'ClusterSecretStore' | undefined) ?? 'SecretStore', secrets };
  } else if (secrets.length > 0) {
    const first = `${A.secretPrefix}${secrets[0]!.file}`;
    throw new InjectionDenied('invalid-annotation', `${first}: needs ${A.store} to name the store to read it from (add ${A.store}: <SecretStore name>)`, first);
  } else if (storeKind !== undefined) {
    throw badAnnotation(A.storeKind, storeKind, `${A.storeKind} only applies together with ${A.store}`);
  }
  if (s.externalSecrets.length === 0 && !s.inline) {
    throw new InjectionDenied(
      'invalid-annotation',
      `${A.externalSecrets}: missing: the pod has the label ${INJECT_LABEL}: "true" but names no secrets; add ${A.externalSecrets}: "<ExternalSecret>[,...]" or the inline ${A.store} + ${A.secretPrefix}<file> annotations`,
      A.externalSecrets,
    );
  }

  if (ann[A.mountPath] !== undefined) s.mountPath = parseMountPath(ann[A.mountPath]!);
  if (ann[A.containers] !== undefined) s.containers = list(A.containers, ann[A.containers]!, 'container names', DNS1123_LABEL, 'app,worker');
  const mode = ann[A.mode];
  if (mode !== undefined) {
    if (mode !== 'init' && mode !== 'sidecar' && mode !== 'both') throw badAnnotation(A.mode, mode, 'use init, sidecar or both');
    s.mode = mode;
  }
  const ri = ann[A.refreshInterval];
  if (ri !== undefined) {
    if (!isUnsignedDuration(ri.trim())) throw badAnnotation(A.refreshInterval, ri, 'give a duration such as "30s", "5m" or "1h30m" ("0" disables refresh)');
    const problem = refreshIntervalProblem(parseGoDuration(ri.trim()));
    if (problem) throw badAnnotation(A.refreshInterval, ri, problem);
    s.refreshInterval = ri.trim();
  }
  if (ann[A.syncSecret] !== undefined) s.syncSecret = parseBool(A.syncSecret, ann[A.syncSecret]!);
  if (ann[A.onChange] !== undefined) s.onChange = parseOnChange(ann[A.onChange]!);
  if (ann[A.fileMode] !== undefined) s.fileMode = parseFileMode(ann[A.fileMode]!);
  if (ann[A.agentEnv] !== undefined) s.agentEnv = parseAgentEnvAnnotation(ann[A.agentEnv]!);
  if (ann[A.agentPort] !== undefined) s.agentPort = parseAgentPort(ann[A.agentPort]!);
  const sa = ann[A.staleAfter];
  if (sa !== undefined) {
    const problem = isUnsignedDuration(sa.trim()) ? staleAfterProblem(parseGoDuration(sa.trim())) : staleAfterProblem(NaN);
    if (problem) throw badAnnotation(A.staleAfter, sa, problem);
    s.staleAfter = sa.trim();
  }
  if (ann[A.unreadyWhenStale] !== undefined) s.unreadyWhenStale = parseBool(A.unreadyWhenStale, ann[A.unreadyWhenStale]!);
  if (s.unreadyWhenStale && s.mode === 'init') {
    throw badAnnotation(A.unreadyWhenStale, ann[A.unreadyWhenStale]!, `an init-only agent stops after the first sync, so nothing refreshes or reports staleness; use ${A.mode}: both (or sidecar), or drop ${A.unreadyWhenStale}`);
  }

  const quantities: [string, 'requests' | 'limits', 'cpu' | 'memory'][] = [
    [A.cpuRequest, 'requests', 'cpu'],
    [A.cpuLimit, 'limits', 'cpu'],
    [A.memoryRequest, 'requests', 'memory'],
    [A.memoryLimit, 'limits', 'memory'],
  ];
  for (const [annotation, kind, resource] of quantities) {
    const raw = ann[annotation];
    if (raw === undefined) continue;
    const q = raw.trim();
    const parsed = parseQuantity(q);
    if (!parsed || !isPositive(parsed)) {
      throw badAnnotation(annotation, raw, `give a Kubernetes quantity, positive and at most 2^63-1, e.g. ${resource === 'cpu' ? '"20m" or "0.5"' : '"64Mi" or "128Mi"'}`);
    }
    s.resources[kind][resource] = q;
  }
  return s;
}
