/**
 * ESO's status vocabulary and its condition rules, as values: what ESO v2.9.0 writes into an
 * ExternalSecret's and a store's `status`, and the Events it records on them. Sources:
 * pkg/controllers/externalsecret/externalsecret_controller.go (its msg and event constants, markAsDone,
 * markAsFailed, createSecret/updateSecret's `status.binding`), pkg/controllers/externalsecret/util.go
 * (SetExternalSecretCondition), apis/externalsecrets/v1/externalsecret_types.go (reasons),
 * pkg/controllers/secretstore/common.go (store conditions). Pure: the clock comes in as `now`.
 */

/** Condition reasons of the ExternalSecret `Ready` condition. */
export const ES_CONDITION = {
  synced: 'SecretSynced',
  syncedError: 'SecretSyncedError',
  deleted: 'SecretDeleted',
  missing: 'SecretMissing',
} as const;

/** Condition messages (ESO's msg* constants). */
export const ES_MESSAGE = {
  synced: 'secret synced',
  syncedRetain: 'secret retained due to DeletionPolicy=Retain',
  deleted: 'secret deleted due to DeletionPolicy=Delete',
  missing: 'secret will not be created due to CreationPolicy=Merge',
  errorGetSecretData: 'could not get secret data from provider',
  errorDeleteSecret: 'could not delete secret',
  errorUpdateSecret: 'could not update secret',
  errorUpdateImmutable: 'could not update secret, target is immutable',
  errorIsOwned: 'target is owned by another ExternalSecret',
} as const;

/** Event reasons and messages ESO records on an ExternalSecret (an UpdateFailed Event's message is the error). */
export const ES_EVENT = {
  created: { reason: 'Created', message: 'secret created' },
  updated: { reason: 'Updated', message: 'secret updated' },
  deleted: { reason: 'Deleted', message: 'secret deleted due to DeletionPolicy=Delete' },
  updateFailed: { reason: 'UpdateFailed' },
} as const;

/** Store `Ready` condition (ESO's secretstore reconcile). */
export const STORE_CONDITION = {
  valid: { reason: 'Valid', message: 'store validated' },
  invalidProviderConfig: { reason: 'InvalidProviderConfig', message: 'unable to create client' },
} as const;

export interface StatusCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** metav1.Time's text: RFC 3339 in UTC, whole seconds. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * SetExternalSecretCondition (and the store's twin): an identical condition is left as it is; a new
 * reason or message with the same status keeps its lastTransitionTime; the condition moves to the end.
 */
export function setCondition(conditions: readonly StatusCondition[] | undefined, next: Omit<StatusCondition, 'lastTransitionTime'>, now: number): StatusCondition[] {
  const list = [...(conditions ?? [])];
  const current = list.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason && current.message === next.message) return list;
  const lastTransitionTime = current && current.status === next.status && current.lastTransitionTime ? current.lastTransitionTime : kubeTime(now);
  return [...list.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}

/**
 * The `Ready` condition message ESO gives a failed sync, by the stage that failed (its markAsFailed
 * call sites): writing the Secret (templates run while mutating it, so a template error is an update
 * error), an immutable or foreign-owned target, else reading the provider.
 */
export function failureConditionMessage(error: string, stage: 'data' | 'secret'): string {
  if (/secret is owned by another ExternalSecret/.test(error)) return ES_MESSAGE.errorIsOwned;
  if (/secret is immutable/.test(error)) return ES_MESSAGE.errorUpdateImmutable;
  if (stage === 'secret' || error.startsWith('could not apply template: ')) return ES_MESSAGE.errorUpdateSecret;
  return ES_MESSAGE.errorGetSecretData;
}
