/**
 * Reading the agent config (the `esi.dev/agent-config` annotation as the downward-API file shows it)
 * and deriving what the refresh loop needs from it. Parsing is strict at this boundary: a config that
 * does not parse is rejected and the previous one stays in force.
 */
import { createHash } from 'node:crypto';
import { EsiError, ValidationError, isObject } from '../core/index.ts';
import {
  AGENT_CONFIG_VERSION,
  CONFIG_DIR,
  DEFAULT_CONTROLLER_CLASS,
  DEFAULT_FILE_MODE,
  MIN_REFRESH_INTERVAL_MS,
  ON_CHANGE_MARKER_DIR,
  fileModeProblem,
  fileNameProblem,
  mountPathProblem,
  normaliseMountPath,
  refreshIntervalProblem,
  reloadUrlProblem,
  shownValue,
  signalProblem,
  storeKey,
  type AgentConfig,
  type AgentExternalSecret,
} from '../contract/index.ts';
import { externalSecretErrors, externalSecretStoreRefs, parseExternalSecret, type ExternalSecret, type RefreshPolicy } from '../eso/index.ts';
import { parseSecretStore, secretStoreErrors, SERVICE_ACCOUNT_TOKEN_DIRS } from '../providers/index.ts';
import { parseGoDuration } from './timing.ts';

export { DEFAULT_FILE_MODE, DEFAULT_CONTROLLER_CLASS };

export function parseAgentConfig(text: string, source: string): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${source}: agent config is not JSON: ${(e as Error).message}`);
  }
  return validateAgentConfig(raw, source);
}

export function validateAgentConfig(raw: unknown, source: string): AgentConfig {
  if (!isObject(raw)) throw new ValidationError(`${source}: agent config: expected a JSON object`);
  const c = structuredClone(raw) as unknown as AgentConfig;
  if (c.version !== AGENT_CONFIG_VERSION) {
    throw new ValidationError(`${source}: agent config: version: expected ${AGENT_CONFIG_VERSION}, got ${JSON.stringify(c.version)} (agent and webhook versions differ)`);
  }
  if (!isObject(c.pod) || typeof c.pod.namespace !== 'string') throw new ValidationError(`${source}: agent config: pod.namespace: required`);
  // The same rules the injector applies to the annotations (contract/rules.ts): the annotation can be
  // edited after admission by anyone who may update the pod.
  const bad = (field: string, value: unknown, fix: string) =>
    new ValidationError(`${source}: agent config: ${field}: ${typeof value === 'string' ? shownValue(value) : JSON.stringify(value)} is not valid: ${fix}`);
  if (typeof c.mountPath !== 'string') throw new ValidationError(`${source}: agent config: mountPath: must be an absolute path`);
  const mountProblem =
    normaliseMountPath(c.mountPath) !== c.mountPath && !c.mountPath.split('/').includes('..')
      ? 'give it normalised (no "//", "/./" or trailing "/")'
      : mountPathProblem(c.mountPath, [CONFIG_DIR, ...SERVICE_ACCOUNT_TOKEN_DIRS, ON_CHANGE_MARKER_DIR]);
  if (mountProblem) throw bad('mountPath', c.mountPath, mountProblem);
  if (c.fileMode === undefined) c.fileMode = DEFAULT_FILE_MODE;
  const modeProblem = fileModeProblem(c.fileMode);
  if (modeProblem) throw bad('fileMode', c.fileMode, `${modeProblem} (as a number: 0o440 is 288)`);
  if (c.refreshInterval !== undefined) {
    const ms = parseGoDuration(c.refreshInterval, `${source}: agent config: refreshInterval`);
    const problem = refreshIntervalProblem(ms);
    if (problem) throw bad('refreshInterval', c.refreshInterval, problem);
  }
  if (c.onChange !== undefined) {
    const o = c.onChange as unknown;
    if (!isObject(o)) throw bad('onChange', o, 'expected an object with url or signal');
    const url = o['url'];
    const sig = o['signal'];
    if (url !== undefined) {
      const problem = typeof url === 'string' ? reloadUrlProblem(url) : 'expected a string';
      if (problem) throw bad('onChange.url', url, problem);
    }
    if (sig !== undefined) {
      const problem = isObject(sig) && typeof sig['signal'] === 'string' && typeof sig['container'] === 'string' ? signalProblem(sig['signal'], sig['container']) : 'expected {signal, container}';
      if (problem) throw bad('onChange.signal', sig, problem);
    }
  }
  if (c.serviceAccountTokens !== undefined) {
    const t = c.serviceAccountTokens as unknown;
    if (!isObject(t) || !Object.values(t).every((p) => typeof p === 'string' && p.startsWith('/'))) {
      throw bad('serviceAccountTokens', t, 'expected an object of provider name → absolute token file path');
    }
  }
  if (!Array.isArray(c.externalSecrets)) throw new ValidationError(`${source}: agent config: externalSecrets: expected a list`);
  if (!isObject(c.stores)) throw new ValidationError(`${source}: agent config: stores: expected an object`);
  const stores: AgentConfig['stores'] = {};
  for (const [k, s] of Object.entries(c.stores)) {
    const where = `${source}: stores[${JSON.stringify(k)}]`;
    const store = parseSecretStore(s as never, where);
    const errs = secretStoreErrors(store);
    if (errs.length > 0) throw new ValidationError(`${where}: ${errs.join('; ')}`);
    stores[k] = store;
  }
  c.stores = stores;
  const dirs = new Set<string>();
  c.externalSecrets = c.externalSecrets.map((e, i) => {
    const where = `${source}: externalSecrets[${i}]`;
    if (!isObject(e)) throw new ValidationError(`${where}: expected an object`);
    const es = parseExternalSecret(e.externalSecret as never, where);
    const errs = externalSecretErrors(es);
    if (errs.length > 0) throw new ValidationError(`${where}: ${errs.join('; ')}`);
    const dir = typeof e.dir === 'string' ? e.dir : es.metadata.name;
    const dirProblem = dir === '' ? undefined : fileNameProblem(dir);
    if (dirProblem) throw new ValidationError(`${where}: dir: ${shownValue(dir)} is not valid: ${dirProblem}`);
    if (dirs.has(dir)) throw new ValidationError(`${where}: dir: ${JSON.stringify(dir)} is used twice`);
    dirs.add(dir);
    if (!es.spec.target?.template) {
      for (const [j, d] of (es.spec.data ?? []).entries()) {
        const problem = fileNameProblem(d.secretKey);
        if (problem) throw new ValidationError(`${where}: spec.data[${j}].secretKey: ${shownValue(d.secretKey)} is not valid: ${problem}`);
      }
    }
    if (e.envFile !== undefined) {
      const problem = typeof e.envFile === 'string' ? fileNameProblem(e.envFile) : 'expected a string';
      if (problem) throw new ValidationError(`${where}: envFile: is not valid: ${problem}`);
    }
    parseGoDuration(es.spec.refreshInterval, `${where}: spec.refreshInterval`);
    return { ...e, externalSecret: es, dir, syncSecret: e.syncSecret === true };
  });
  return c;
}

/** Store keys (`Kind/name`) an ExternalSecret reads from. */
export function storesOf(es: ExternalSecret): string[] {
  return externalSecretStoreRefs(es).map((r) => storeKey(r.kind, r.name)).sort();
}

/**
 * What, when changed, makes an ExternalSecret's files potentially different: its spec and metadata
 * (ESO's OnChange trigger is generation + labels + annotations), the stores it reads, and how files
 * are written. Values are not in the config except for the `fake` provider, whose data is then part
 * of the hash by design (a changed fake value is a changed secret).
 */
export function changeHash(entry: AgentExternalSecret, config: AgentConfig): string {
  const es = entry.externalSecret;
  const stores = storesOf(es).map((k) => [k, config.stores[k]?.spec ?? null]);
  const text = JSON.stringify([es.spec, es.metadata.labels ?? {}, es.metadata.annotations ?? {}, es.metadata.generation ?? 0, stores, entry, config.fileMode, config.refreshInterval ?? '']);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export interface RefreshRule {
  policy: RefreshPolicy;
  intervalMs: number;
}

export function refreshRule(entry: AgentExternalSecret, config: AgentConfig, floorMs = MIN_REFRESH_INTERVAL_MS): RefreshRule {
  const es = entry.externalSecret;
  const text = config.refreshInterval ?? es.spec.refreshInterval;
  const ms = parseGoDuration(text);
  // An ExternalSecret's own refreshInterval below the floor (ESO accepts 1ns) runs at the floor: each round reads the backend.
  return { policy: es.spec.refreshPolicy ?? 'Periodic', intervalMs: ms > 0 ? Math.max(ms, floorMs) : ms };
}

/**
 * Whether a config change that touched this ExternalSecret syncs it now. ESO's rules, adapted to a pod
 * (ESO v2.9.0 pkg/controllers/externalsecret/externalsecret_controller.go shouldRefresh): CreatedOnce never syncs again; Periodic with interval 0 never syncs again once
 * synced (not even after edits); otherwise a changed spec/metadata/store triggers a sync.
 */
export function syncOnChange(rule: RefreshRule, synced: boolean): boolean {
  if (!synced) return true;
  if (rule.policy === 'CreatedOnce') return false;
  if (rule.policy === 'Periodic' && rule.intervalMs <= 0) return false;
  return true;
}

/** Delay after a successful sync before the next periodic one; Infinity when it does not refresh. */
export function nextRefreshDelay(rule: RefreshRule): number {
  if (rule.policy !== 'Periodic' || rule.intervalMs <= 0) return Infinity;
  return rule.intervalMs;
}

/**
 * The annotation ESO's documents change to force a refresh (`kubectl annotate es NAME
 * force-sync=$(date +%s) --overwrite`). ESO itself has no special case: any annotation edit changes the
 * object's resource-version hash (ESO pkg/controllers/externalsecret/externalsecret_controller.go,
 * getResourceVersion) and so triggers a refresh; the agent does the same (changeHash) and only adds
 * the spread below when this one changed.
 */
export const FORCE_SYNC_ANNOTATION = 'force-sync';
/**
 * Upper bound of the random delay before a forced refetch: the webhook's controller rewrites every pod
 * using the ExternalSecret at once, so hundreds of agents would otherwise call the backend in the same
 * instant. Small enough that the files follow within seconds.
 */
export const FORCE_SYNC_SPREAD_MS = 2000;

/** The ExternalSecret's force-sync value ('' when unset). */
export function forceSyncValue(entry: AgentExternalSecret): string {
  return entry.externalSecret.metadata.annotations?.[FORCE_SYNC_ANNOTATION] ?? '';
}

export function configError(source: string, e: unknown): EsiError {
  return e instanceof EsiError ? e : new EsiError('config', `${source}: ${(e as Error).message}`);
}
