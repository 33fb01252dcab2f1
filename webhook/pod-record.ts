/**
 * What the controller keeps of an injected pod, stripped on receipt: its identity, the opt-in label, the
 * `esi.dev/*` annotations (settings, the agent config, esi's ownership record), owner kinds, deletion
 * mark, phase, and the spec. The spec stays because re-resolving a running pod's config runs the same
 * injector as admission (service account, the identity env and token mounts the agent copies, the
 * on-change target, esi's own containers for spec-drift detection). Dropped: status (but phase),
 * managedFields, every other label and annotation.
 */
import type { KubeObject } from '../core/index.ts';
import { ANNOTATION_PREFIX, INJECT_LABEL } from '../contract/index.ts';

export function podRecord(o: KubeObject): KubeObject {
  const md = o.metadata;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.annotations ?? {})) if (k.startsWith(ANNOTATION_PREFIX)) annotations[k] = v;
  const inject = md.labels?.[INJECT_LABEL];
  const phase = (o['status'] as { phase?: string } | undefined)?.phase;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: md.name,
      namespace: md.namespace,
      ...(md.uid ? { uid: md.uid } : {}),
      ...(md.resourceVersion ? { resourceVersion: md.resourceVersion } : {}),
      ...(inject !== undefined ? { labels: { [INJECT_LABEL]: inject } } : {}),
      annotations,
      ...(md.ownerReferences ? { ownerReferences: md.ownerReferences.map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, name: r.name, uid: r.uid })) } : {}),
      ...(md['deletionTimestamp'] ? { deletionTimestamp: md['deletionTimestamp'] } : {}),
    },
    spec: o['spec'],
    ...(phase ? { status: { phase } } : {}),
  };
}
