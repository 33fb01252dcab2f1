/**
 * ClusterSecretStore `spec.conditions` (ESO-SEMANTICS §8), evaluated at admission so a pod in a
 * namespace the store does not serve is refused with ESO's own message.
 */
import type { ClusterSecretStoreCondition, LabelSelectorRequirement, SecretStore } from '../eso/index.ts';

function matchesExpression(labels: Record<string, string>, r: LabelSelectorRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(labels[r.key]!);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

function selectorMatches(sel: NonNullable<ClusterSecretStoreCondition['namespaceSelector']>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of sel.matchExpressions ?? []) if (!matchesExpression(labels, r)) return false;
  return true;
}

/** Go's regexp.MatchString is unanchored; RE2 syntax is close enough to JS for namespace patterns. */
function regexMatches(pattern: string, namespace: string): boolean {
  try {
    return new RegExp(pattern).test(namespace);
  } catch {
    return false;
  }
}

export function clusterStoreAllows(store: SecretStore, namespace: string, namespaceLabels: Record<string, string>): boolean {
  const conditions = store.spec.conditions ?? [];
  if (store.kind !== 'ClusterSecretStore' || conditions.length === 0) return true;
  const labels = { 'kubernetes.io/metadata.name': namespace, ...namespaceLabels };
  return conditions.some(
    (c) =>
      (c.namespaceSelector !== undefined && selectorMatches(c.namespaceSelector, labels)) ||
      (c.namespaces ?? []).some((n) => n === namespace) ||
      (c.namespaceRegexes ?? []).some((re) => regexMatches(re, namespace)),
  );
}

export function clusterStoreDeniedMessage(storeName: string, namespace: string): string {
  return `using cluster store ${JSON.stringify(storeName)} is not allowed from namespace ${JSON.stringify(namespace)}: denied by spec.condition`;
}
