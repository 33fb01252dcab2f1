/**
 * What the controller keeps of an injected pod, computed once when the pod arrives (list, watch event,
 * the answer to its own patch): its identity, deletion mark and phase, the `esi.dev/agent-config` value
 * it carries, and `inputs` — everything else its desired config is a function of (namespace, service
 * account, the `esi.dev/*` settings, the size of its other annotations, what the stores put into its
 * spec; injector/running.ts), as one string. No spec, no status but the phase, no other labels or
 * annotations: a pod costs its config string plus a few hundred bytes, and pods with the same inputs
 * share one resolution (webhook/controller.ts keys its memo by `inputs`).
 */
import type { KubeObject, Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION } from '../contract/index.ts';
import { runningPodInputs, type RunningPodInputs } from '../injector/index.ts';

export interface PodRecord extends KubeObject {
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; deletionTimestamp?: string };
  phase?: string;
  /** The pod's `esi.dev/agent-config` now (undefined: not injected, nothing to keep current). */
  agentConfig?: string;
  /** JSON of RunningPodInputs without the namespace (the memo key within a namespace). */
  inputs: string;
}

export function podRecord(o: KubeObject): PodRecord {
  const md = o.metadata;
  const { namespace: _ns, ...inputs } = runningPodInputs(o as Pod);
  const phase = (o['status'] as { phase?: string } | undefined)?.phase;
  const config = md.annotations?.[AGENT_CONFIG_ANNOTATION];
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: md.name,
      namespace: md.namespace,
      ...(md.uid ? { uid: md.uid } : {}),
      ...(md.resourceVersion ? { resourceVersion: md.resourceVersion } : {}),
      ...(md['deletionTimestamp'] ? { deletionTimestamp: md['deletionTimestamp'] as string } : {}),
    },
    ...(phase ? { phase } : {}),
    ...(typeof config === 'string' ? { agentConfig: config } : {}),
    inputs: JSON.stringify(inputs),
  };
}

/** The inputs of a record, for re-resolving it. */
export function recordInputs(r: PodRecord): RunningPodInputs {
  return { namespace: r.metadata.namespace ?? 'default', ...(JSON.parse(r.inputs) as Omit<RunningPodInputs, 'namespace'>) };
}
