/**
 * ClusterSecretStore `spec.conditions` (ESO v2.9.0 pkg/controllers/secretstore/client_manager.go shouldProcessSecret) and the
 * store controller class rule (§2.1). Pure: the namespace's labels come in as a value.
 */
import { EsoError } from './errors.ts';
import { compileGoRegexp, goMatchString, RegexpBudgetExceeded } from './goregexp.ts';
import type { ClusterSecretStoreCondition, LabelSelectorRequirement, SecretStore } from './types.ts';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** metav1.LabelSelectorAsSelector(sel).Matches(labels). An empty selector matches everything. */
export function labelSelectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(labels, k);
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!has(k) || labels[k] !== v) return false;
  }
  for (const req of sel.matchExpressions ?? []) {
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (values.length === 0) throw selectorError(sel, `for 'in', 'notin' operators, values set can't be empty`);
        if (!has(req.key) || !values.includes(labels[req.key]!)) return false;
        break;
      case 'NotIn':
        if (values.length === 0) throw selectorError(sel, `for 'in', 'notin' operators, values set can't be empty`);
        if (has(req.key) && values.includes(labels[req.key]!)) return false;
        break;
      case 'Exists':
        if (values.length > 0) throw selectorError(sel, `values set must be empty for exists and does not exist`);
        if (!has(req.key)) return false;
        break;
      case 'DoesNotExist':
        if (values.length > 0) throw selectorError(sel, `values set must be empty for exists and does not exist`);
        if (has(req.key)) return false;
        break;
      default:
        throw selectorError(sel, `${JSON.stringify(String(req.operator))} is not a valid label selector operator`);
    }
  }
  return true;
}

function selectorError(sel: LabelSelector, why: string): EsoError {
  return new EsoError('invalid-store', `failed to convert label selector into selector ${JSON.stringify(sel)}: ${why}`, 'spec.conditions');
}

/**
 * Whether a store may be used from `namespace` (with `namespaceLabels`, which always include
 * kubernetes.io/metadata.name as the API server sets it). SecretStores and stores without
 * conditions: always.
 */
export function storeAllowsNamespace(store: SecretStore, namespace: string, namespaceLabels: Record<string, string>): boolean {
  if (store.kind !== 'ClusterSecretStore') return true;
  const conditions: ClusterSecretStoreCondition[] = store.spec.conditions ?? [];
  if (conditions.length === 0) return true;
  const labels = { ...namespaceLabels, [NAMESPACE_NAME_LABEL]: namespaceLabels[NAMESPACE_NAME_LABEL] ?? namespace };
  for (const c of conditions) {
    const selectors: LabelSelector[] = [];
    if (c.namespaceSelector) selectors.push(c.namespaceSelector);
    for (const n of c.namespaces ?? []) selectors.push({ matchLabels: { [NAMESPACE_NAME_LABEL]: n } });
    for (const s of selectors) if (labelSelectorMatches(s, labels)) return true;
    for (const r of c.namespaceRegexes ?? []) {
      let re;
      try {
        re = compileGoRegexp(r);
      } catch (e) {
        if (e instanceof RegexpBudgetExceeded) throw e;
        throw new EsoError('invalid-store', `failed to compile regex ${r}: ${(e as Error).message}`, 'spec.conditions');
      }
      if (goMatchString(re, namespace)) return true;
    }
  }
  return false;
}

export function conditionDeniedMessage(storeName: string, namespace: string): string {
  return `using cluster store ${JSON.stringify(storeName)} is not allowed from namespace ${JSON.stringify(namespace)}: denied by spec.condition`;
}

/** ShouldProcessStore: a store is managed by this controller when its class is empty or equal. */
export function storeIsManaged(store: SecretStore, controllerClass: string): boolean {
  const c = store.spec.controller ?? '';
  return c === '' || c === controllerClass;
}
