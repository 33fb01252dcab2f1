/**
 * Writing semantics (ESO-SEMANTICS §2.3, §5): from assembled provider data and the existing target
 * Secret (if any) to what ESO would leave in the cluster. Pure.
 */
import { EsiError, NotAvailableError, type Secret } from '../core/index.ts';
import type { SecretDataMap } from './provider.ts';
import type { ExternalSecret } from './types.ts';
import { createdByHash, dataHash } from './hash.ts';

export const LABEL_MANAGED = 'reconcile.external-secrets.io/managed';
export const LABEL_CREATED_BY = 'reconcile.external-secrets.io/created-by';
export const ANNOTATION_DATA_HASH = 'reconcile.external-secrets.io/data-hash';

/** What one sync does to the target Secret. */
export type SecretOutcome =
  | { action: 'write'; secret: Secret }
  | { action: 'delete'; name: string; reason: string }
  | { action: 'none'; reason: string; existing?: Secret };

export function targetName(es: ExternalSecret): string {
  return es.spec.target.name || es.metadata.name;
}

function decodeData(secret: Secret | undefined): SecretDataMap {
  const out: SecretDataMap = {};
  for (const [k, v] of Object.entries(secret?.data ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function encodeData(data: SecretDataMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(data).sort()) out[k] = Buffer.from(data[k]!).toString('base64');
  return out;
}

/**
 * Decides the Secret ESO would write for `es` given the assembled provider data.
 * `existing` is the current target Secret, if any.
 */
export function buildSecret(es: ExternalSecret, providerData: SecretDataMap, existing?: Secret): SecretOutcome {
  const { creationPolicy, deletionPolicy } = es.spec.target;
  const name = targetName(es);
  const namespace = es.metadata.namespace ?? 'default';
  if (Object.keys(providerData).length === 0) {
    if (deletionPolicy === 'Delete') {
      if (creationPolicy !== 'Owner') {
        throw new EsiError('delete', `unable to delete secret ${name}: creationPolicy=${creationPolicy} is not Owner`);
      }
      return existing ? { action: 'delete', name, reason: 'provider returned no data: deletionPolicy=Delete' } : { action: 'none', reason: 'provider returned no data and there is no Secret to delete' };
    }
    if (deletionPolicy === 'Retain') {
      return existing
        ? { action: 'none', reason: 'secret retained due to DeletionPolicy=Retain', existing }
        : { action: 'none', reason: 'secret retained due to DeletionPolicy=Retain' };
    }
  }
  if (creationPolicy === 'None') return { action: 'none', reason: 'creationPolicy=None: nothing is written', ...(existing ? { existing } : {}) };
  if (creationPolicy === 'Merge' && !existing) {
    return { action: 'none', reason: 'secret will not be created due to CreationPolicy=Merge' };
  }
  if (existing && es.spec.target.immutable) {
    return { action: 'none', reason: 'target is immutable: an existing Secret is not updated', existing };
  }
  if (existing?.immutable && !es.spec.target.immutable) {
    throw new EsiError('immutable', `unable to update secret ${name}: secret is immutable`);
  }
  if (es.spec.target.template) throw new NotAvailableError('spec.target.template (templates)');

  const keepExisting = creationPolicy === 'Merge' || creationPolicy === 'CreateOrMerge';
  const data: SecretDataMap = keepExisting ? decodeData(existing) : {};
  Object.assign(data, providerData);

  const labels: Record<string, string> = { ...(existing?.metadata.labels ?? {}), ...(es.metadata.labels ?? {}) };
  const annotations: Record<string, string> = { ...(existing?.metadata.annotations ?? {}), ...(es.metadata.annotations ?? {}) };
  labels[LABEL_MANAGED] = 'true';
  const ownerReferences = (existing?.metadata.ownerReferences ?? []).filter((r) => !(r.kind === 'ExternalSecret' && r.controller));
  const foreignOwner = existing?.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ExternalSecret' && r.name !== es.metadata.name);
  if (foreignOwner) throw new EsiError('owned', `secret is owned by another ExternalSecret: ${foreignOwner.name}`);
  if (creationPolicy === 'Owner') {
    labels[LABEL_CREATED_BY] = createdByHash(namespace, es.metadata.name);
    ownerReferences.push({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: es.metadata.name,
      uid: es.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    });
  } else {
    delete labels[LABEL_CREATED_BY];
  }
  annotations[ANNOTATION_DATA_HASH] = dataHash(data);

  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels,
      annotations,
      ...(ownerReferences.length > 0 ? { ownerReferences } : {}),
    },
    type: existing?.type ?? 'Opaque',
    data: encodeData(data),
    ...(es.spec.target.immutable ? { immutable: true } : {}),
  };
  return { action: 'write', secret };
}
