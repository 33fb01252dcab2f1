/**
 * `esi.dev/sync-secret`: writes an ExternalSecret's target Secret with the pod's own service account,
 * as ESO would (eso/ decides labels, data-hash, creation/deletion policy, ownerReference). Several
 * replicas write the same Secret: each compares the data-hash first (no write when equal), writes with
 * the resourceVersion it read, and on 409 Conflict re-reads and retries with backoff.
 * Only for stores of esi's controller class, so ESO's controller and the agent never both write it.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../core/log.ts';
import { EsiError, type Secret } from '../core/index.ts';
import { DEFAULT_CONTROLLER_CLASS, type AgentConfig, type AgentExternalSecret } from '../contract/index.ts';
import { targetName, withManagedLabel, type SecretOutcome } from '../eso/index.ts';
import { storesOf } from './config.ts';
import { kubeError, type KubeClient } from '../kube/index.ts';
import type { AgentMetrics } from './metrics.ts';

/** ESO's field manager for an ExternalSecret (ESO v2.9.0 pkg/controllers/externalsecret/externalsecret_controller.go): the sha3 form past 63 characters. */
export function fieldManagerFor(esName: string): string {
  const full = `externalsecrets.external-secrets.io/${esName}`;
  if (full.length <= 63) return full;
  return `externalsecrets.external-secrets.io/sha3/${createHash('sha3-224').update(esName).digest('hex')}`;
}

/** Stores of the ExternalSecret whose spec.controller is not esi's class (those are ESO's to write). */
export function unmanagedStores(entry: AgentExternalSecret, config: AgentConfig): string[] {
  const cls = config.controllerClass ?? DEFAULT_CONTROLLER_CLASS;
  return storesOf(entry.externalSecret).filter((k) => (config.stores[k]?.spec.controller ?? '') !== cls);
}

export interface SecretSyncDeps {
  kube: KubeClient;
  log: Logger;
  metrics?: AgentMetrics;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  maxAttempts?: number;
}

export type SecretSyncResult = 'created' | 'updated' | 'unchanged' | 'deleted' | 'skipped' | 'none';

/**
 * `render(existing)` is ESO's sync against the Secret as it is now (eso/ renderExternalSecret): it decides
 * create/update/none/delete, labels, data-hash and ownerReference, and whether anything changed.
 */
export async function syncTargetSecret(
  entry: AgentExternalSecret,
  render: (existing?: Secret) => Promise<SecretOutcome>,
  config: AgentConfig,
  deps: SecretSyncDeps,
): Promise<SecretSyncResult> {
  const es = entry.externalSecret;
  const esName = es.metadata.name;
  const record = (result: SecretSyncResult | 'conflict' | 'error') => deps.metrics?.secretWrites.inc({ external_secret: esName, result });
  const foreign = unmanagedStores(entry, config);
  if (foreign.length > 0) {
    const cls = config.controllerClass ?? DEFAULT_CONTROLLER_CLASS;
    record('skipped');
    throw new EsiError(
      'unmanaged-store',
      `esi.dev/sync-secret: not writing Secret ${targetName(es)}: store ${foreign.join(', ')} has spec.controller other than "${cls}", so ESO's controller manages that Secret; set the store's spec.controller to "${cls}" to hand it over to esi`,
    );
  }
  const namespace = es.metadata.namespace || config.pod.namespace;
  const name = targetName(es);
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const fm = `fieldManager=${encodeURIComponent(fieldManagerFor(esName))}`;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const maxAttempts = deps.maxAttempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    const path = `${base}/${encodeURIComponent(name)}`;
    const got = await deps.kube.send('GET', path);
    if (got.status !== 200 && got.status !== 404) {
      record('error');
      throw kubeError('GET', path, got);
    }
    let existing = got.status === 200 ? (got.body as Secret) : undefined;
    // ESO's first step, before anything is fetched and whatever the creationPolicy: a pre-existing target
    // without the managed label gets it (pkg/controllers/externalsecret/externalsecret_controller.go,
    // Reconcile). So a creationPolicy=None or an unchanged data-hash still leaves the label, as ESO does
    // (found by the ESO-oracle differential, test/e2e/eso-oracle.test.ts).
    const labelled = withManagedLabel(existing);
    if (existing && labelled !== existing) {
      const put = await deps.kube.send('PUT', `${path}?${fm}`, labelled);
      if (put.status === 409 && attempt < maxAttempts) {
        record('conflict');
        await sleep(Math.min(2000, 50 * 2 ** (attempt - 1)) * (0.5 + random() / 2));
        continue;
      }
      if (put.status < 200 || put.status >= 300) {
        record('error');
        throw kubeError('PUT', path, put);
      }
      existing = put.body as Secret;
      deps.log.info({ externalSecret: esName, secret: name }, 'pre-existing Secret labelled reconcile.external-secrets.io/managed, as ESO does first');
    }
    const outcome = await render(existing);
    let r;
    let verb: string;
    if (outcome.action === 'none') {
      deps.log.info({ externalSecret: esName, secret: name, reason: outcome.reason }, 'Secret left as it is');
      record('none');
      return 'none';
    } else if (outcome.action === 'delete') {
      verb = 'DELETE';
      r = await deps.kube.send('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: existing?.metadata.resourceVersion } });
      if (r.status === 404) return 'deleted';
    } else {
      if (!outcome.changed && existing) {
        record('unchanged');
        return 'unchanged';
      }
      const desired = outcome.secret;
      if (outcome.deleteOrphans.length > 0) {
        deps.log.warn({ externalSecret: esName, secrets: outcome.deleteOrphans }, 'Secrets created by this ExternalSecret under an old target name are left in place (the agent deletes nothing it was not asked to)');
      }
      if (existing) {
        verb = 'PUT';
        desired.metadata.resourceVersion = existing.metadata.resourceVersion;
        r = await deps.kube.send('PUT', `${path}?${fm}`, desired);
      } else {
        verb = 'POST';
        r = await deps.kube.send('POST', `${base}?${fm}`, desired);
      }
    }
    if (r.status >= 200 && r.status < 300) {
      const result: SecretSyncResult = outcome.action === 'delete' ? 'deleted' : existing ? 'updated' : 'created';
      record(result);
      deps.log.info({ externalSecret: esName, secret: name, result }, 'Secret written');
      return result;
    }
    // 409: another replica wrote first (stale resourceVersion, or create raced a create). Re-read and retry.
    if (r.status === 409 && attempt < maxAttempts) {
      record('conflict');
      const delay = Math.min(2000, 50 * 2 ** (attempt - 1)) * (0.5 + random() / 2);
      deps.log.debug({ externalSecret: esName, secret: name, attempt, delayMs: Math.round(delay) }, 'Secret write conflict; re-reading');
      await sleep(delay);
      continue;
    }
    record('error');
    throw kubeError(verb, path, r);
  }
}
