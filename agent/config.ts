/**
 * Reading the agent config (the `esi.dev/agent-config` annotation as the downward-API file shows it)
 * and deriving what the refresh loop needs from it. Parsing is strict at this boundary: a config that
 * does not parse is rejected and the previous one stays in force.
 */
import { createHash } from 'node:crypto';
import { EsiError, ValidationError, isObject } from '../core/index.ts';
import { AGENT_CONFIG_VERSION, DEFAULT_CONTROLLER_CLASS, DEFAULT_FILE_MODE, storeKey, type AgentConfig, type AgentExternalSecret } from '../contract/index.ts';
import { externalSecretStoreRefs, parseExternalSecret, type ExternalSecret, type RefreshPolicy } from '../eso/index.ts';
import { parseSecretStore } from '../providers/index.ts';
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
  if (typeof c.mountPath !== 'string' || !c.mountPath.startsWith('/')) throw new ValidationError(`${source}: agent config: mountPath: must be an absolute path`);
  if (c.fileMode === undefined) c.fileMode = DEFAULT_FILE_MODE;
  if (!Number.isInteger(c.fileMode) || c.fileMode < 0 || c.fileMode > 0o777) throw new ValidationError(`${source}: agent config: fileMode: expected permission bits such as 0o440 (288)`);
  if (c.refreshInterval !== undefined) parseGoDuration(c.refreshInterval, `${source}: agent config: refreshInterval`);
  if (!Array.isArray(c.externalSecrets)) throw new ValidationError(`${source}: agent config: externalSecrets: expected a list`);
  if (!isObject(c.stores)) throw new ValidationError(`${source}: agent config: stores: expected an object`);
  const stores: AgentConfig['stores'] = {};
  for (const [k, s] of Object.entries(c.stores)) stores[k] = parseSecretStore(s as never, `${source}: stores[${JSON.stringify(k)}]`);
  c.stores = stores;
  const dirs = new Set<string>();
  c.externalSecrets = c.externalSecrets.map((e, i) => {
    const where = `${source}: externalSecrets[${i}]`;
    if (!isObject(e)) throw new ValidationError(`${where}: expected an object`);
    const es = parseExternalSecret(e.externalSecret as never, where);
    const dir = typeof e.dir === 'string' ? e.dir : es.metadata.name;
    if (dir.includes('/') || dir.startsWith('..')) throw new ValidationError(`${where}: dir: must be one path element not starting with ".."`);
    if (dirs.has(dir)) throw new ValidationError(`${where}: dir: ${JSON.stringify(dir)} is used twice`);
    dirs.add(dir);
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

export function refreshRule(entry: AgentExternalSecret, config: AgentConfig): RefreshRule {
  const es = entry.externalSecret;
  const text = config.refreshInterval ?? es.spec.refreshInterval;
  return { policy: es.spec.refreshPolicy ?? 'Periodic', intervalMs: parseGoDuration(text) };
}

/**
 * Whether a config change that touched this ExternalSecret syncs it now. ESO's rules, adapted to a pod
 * (ESO-SEMANTICS §2.2): CreatedOnce never syncs again; Periodic with interval 0 never syncs again once
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

export function configError(source: string, e: unknown): EsiError {
  return e instanceof EsiError ? e : new EsiError('config', `${source}: ${(e as Error).message}`);
}
