/**
 * The pipeline, one small step each: should-inject → read settings → resolve → build plan → patch →
 * validate. Shared by the webhook, `esi inject` and the demo.
 */
import { AGENT_CONFIG_ANNOTATION, ANNOTATIONS_SIZE_LIMIT } from '../contract/index.ts';
import { isObject, type KubeObject, type Pod, type PodSpec, type ObjectMeta } from '../core/index.ts';
import { emitPatch } from './emit.ts';
import { InjectionDenied } from './errors.ts';
import { cloneJson } from './json-patch.ts';
import type { PatchOp } from './json-patch.ts';
import { buildPlan, DEFAULT_AGENT_IMAGE, DEFAULTS, type ClusterFacts, type InjectDefaults, type Plan } from './plan.ts';
import { lookupFrom, resolve, type CaLookup, type EsoLookup, type ServiceAccountLookup } from './resolve.ts';
import { INJECT_LABEL, readSettings, wantsInjection } from './settings.ts';
import { podProblems } from './validate.ts';

export interface InjectContext {
  /** ESO objects: ExternalSecrets and SecretStores of the pod's namespace, ClusterSecretStores. */
  eso: EsoLookup;
  /** Used when the pod carries no namespace (templates, offline manifests). */
  namespace?: string;
  /** Labels of the pod's namespace (ClusterSecretStore conditions). */
  namespaceLabels?: Record<string, string>;
  cluster?: Partial<ClusterFacts>;
  agentImage?: string;
  defaults?: Partial<InjectDefaults>;
  /** The workload kind a template belongs to (Job and CronJob pods get no classic sidecar). */
  workloadKind?: string;
  /** CA PEMs named by Vault stores' caProvider (inlined into the agent config as caBundle). */
  caLookup?: CaLookup;
  /** Annotations of service accounts stores name (Azure Workload Identity's client and tenant ids). */
  serviceAccountLookup?: ServiceAccountLookup;
}

export interface InjectResult {
  /** null when the pod did not opt in. */
  plan: Plan | null;
  /** RFC 6902 operations against the input pod; empty when nothing changes. */
  patch: PatchOp[];
  /** The input with the patch applied (a copy; the input is not changed). */
  pod: Pod;
  warnings: string[];
}

export const CURRENT_CLUSTER: ClusterFacts = { nativeSidecars: true };

export function injectPod(pod: Pod, ctx: InjectContext): InjectResult {
  const label = (pod.metadata?.labels as Record<string, unknown> | undefined)?.[INJECT_LABEL];
  if (label !== undefined && typeof label !== 'string') {
    throw new InjectionDenied('invalid-annotation', `label ${INJECT_LABEL}: label values must be strings, got ${label === null ? 'null' : typeof label}; quote it in YAML: "true"`, INJECT_LABEL);
  }
  if (!wantsInjection(pod.metadata?.labels)) return { plan: null, patch: [], pod: cloneJson(pod), warnings: [] };
  if (!isObject(pod.spec) || !Array.isArray(pod.spec.containers)) {
    throw new InjectionDenied('invalid-object', 'spec.containers: required: esi injects into pods with containers');
  }
  const namespace = pod.metadata.namespace || ctx.namespace || 'default';
  const namespaceLabels = { 'kubernetes.io/metadata.name': namespace, ...(ctx.namespaceLabels ?? {}) };
  const defaults: InjectDefaults = { ...DEFAULTS, ...(ctx.defaults ?? {}) };
  const settings = readSettings(pod.metadata.annotations);
  const resolved = resolve(settings, {
    namespace,
    namespaceLabels,
    serviceAccountName: pod.spec.serviceAccountName ?? 'default',
    lookup: ctx.eso,
    controllerClass: defaults.controllerClass,
    ...(ctx.caLookup ? { caLookup: ctx.caLookup } : {}),
    ...(ctx.serviceAccountLookup ? { serviceAccountLookup: ctx.serviceAccountLookup } : {}),
  });
  const plan = buildPlan({
    pod,
    namespace,
    namespaceLabels,
    settings,
    resolved,
    cluster: { ...CURRENT_CLUSTER, ...(ctx.cluster ?? {}) },
    agentImage: ctx.agentImage ?? DEFAULT_AGENT_IMAGE,
    defaults,
    ...(ctx.workloadKind ? { workloadKind: ctx.workloadKind } : {}),
  });
  const { patch, pod: mutated } = emitPatch(pod, plan);
  const config = Buffer.byteLength(plan.annotations[AGENT_CONFIG_ANNOTATION] ?? '');
  checkAnnotationsSize(config, annotationsSize(mutated.metadata.annotations) - config - AGENT_CONFIG_ANNOTATION.length, plan.agentConfig.externalSecrets.length);
  const before = new Set(podProblems(pod));
  const introduced = podProblems(mutated).filter((p) => !before.has(p));
  if (introduced.length > 0) {
    throw new InjectionDenied('collision', `esi could not inject this pod without making it invalid: ${introduced.join('; ')}`);
  }
  return { plan, patch, pod: mutated, warnings: plan.warnings };
}

/** Bytes of a pod's annotations as the apiserver counts them: keys plus values, UTF-8. */
export function annotationsSize(annotations: Record<string, string> | undefined): number {
  let n = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  return n;
}

/**
 * Refuses an agent config of `configBytes` that, with the pod's other annotations (`otherBytes`, keys
 * plus values), would exceed the apiserver's limit on a pod's annotations.
 */
export function checkAnnotationsSize(configBytes: number, otherBytes: number, externalSecrets: number): void {
  if (configBytes + AGENT_CONFIG_ANNOTATION.length + otherBytes <= ANNOTATIONS_SIZE_LIMIT) return;
  throw new InjectionDenied(
    'too-large',
    `${AGENT_CONFIG_ANNOTATION}: the resolved agent config is ${configBytes} bytes, and with the pod's other annotations (${otherBytes} bytes) it exceeds Kubernetes' limit of ${ANNOTATIONS_SIZE_LIMIT} bytes for a pod's annotations; split the ${externalSecrets} ExternalSecrets over fewer per pod, or shrink their specs (long templates, many data entries)`,
    AGENT_CONFIG_ANNOTATION,
  );
}

const ESO_KINDS = new Set(['ExternalSecret', 'SecretStore', 'ClusterSecretStore']);

/** Where a workload keeps its pod template. */
function templateOf(obj: KubeObject): { metadata?: ObjectMeta; spec: PodSpec } | undefined {
  const spec = obj['spec'];
  if (!isObject(spec)) return undefined;
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
    case 'ReplicationController':
    case 'PodTemplate':
      return isObject(spec['template']) ? (spec['template'] as { spec: PodSpec }) : undefined;
    case 'CronJob': {
      const jt = spec['jobTemplate'];
      const js = isObject(jt) ? jt['spec'] : undefined;
      return isObject(js) && isObject(js['template']) ? (js['template'] as { spec: PodSpec }) : undefined;
    }
    default:
      return undefined;
  }
}

export interface InjectManifestsOptions {
  cluster?: Partial<ClusterFacts>;
  agentImage?: string;
  defaults?: Partial<InjectDefaults>;
  /** Namespace of objects that name none (default "default"). */
  namespace?: string;
  /** Called for each injected object with its warnings. */
  onWarning?: (object: string, warning: string) => void;
}

/**
 * `esi inject`: every Pod and pod template in `objects` goes through `injectPod`. ESO objects and
 * Namespaces are taken from both lists. Returns copies; objects without a template pass through.
 */
export function injectManifests(objects: readonly KubeObject[], esoObjects: readonly KubeObject[], opts: InjectManifestsOptions = {}): KubeObject[] {
  const all = [...objects, ...esoObjects];
  const eso = lookupFrom(all.filter((o) => ESO_KINDS.has(o.kind)));
  const namespaces = all.filter((o) => o.kind === 'Namespace');
  const caLookup: CaLookup = (ref) => {
    const o = all.find((x) => x.kind === ref.kind && x.metadata.name === ref.name && (x.metadata.namespace ?? ref.namespace) === ref.namespace);
    const data = o?.['data'] as Record<string, string> | undefined;
    const v = data?.[ref.key];
    if (v === undefined) return undefined;
    return ref.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  };
  // A ServiceAccount given with the manifests is read as the webhook reads it; one not given counts as absent.
  const serviceAccountLookup: ServiceAccountLookup = (namespace, name) => {
    const o = all.find((x) => x.kind === 'ServiceAccount' && x.metadata.name === name && (x.metadata.namespace ?? namespace) === namespace);
    return o ? (o.metadata.annotations ?? {}) : null;
  };
  return objects.map((input) => {
    const obj = cloneJson(input);
    const namespace = obj.metadata.namespace || opts.namespace || 'default';
    const nsLabels = namespaces.find((n) => n.metadata.name === namespace)?.metadata.labels ?? {};
    const label = `${obj.kind} ${obj.metadata.name ?? '<unnamed>'}`;
    const ctx = (workloadKind?: string): InjectContext => ({
      eso,
      namespace,
      namespaceLabels: nsLabels,
      ...(opts.cluster ? { cluster: opts.cluster } : {}),
      ...(opts.agentImage ? { agentImage: opts.agentImage } : {}),
      ...(opts.defaults ? { defaults: opts.defaults } : {}),
      ...(workloadKind ? { workloadKind } : {}),
      caLookup,
      serviceAccountLookup,
    });
    const withObject = (e: unknown): never => {
      if (e instanceof InjectionDenied) throw new InjectionDenied(e.reason, `${label}: ${e.message}`, e.annotation);
      throw e;
    };
    if (obj.kind === 'Pod' && obj.apiVersion === 'v1') {
      try {
        const r = injectPod(obj as Pod, ctx());
        for (const w of r.warnings) opts.onWarning?.(label, w);
        return r.pod;
      } catch (e) {
        return withObject(e);
      }
    }
    const template = templateOf(obj);
    if (!template) return obj;
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...(template.metadata ?? {}), namespace },
      spec: template.spec,
    };
    try {
      const r = injectPod(pod, ctx(obj.kind));
      if (!r.plan) return obj;
      for (const w of r.warnings) opts.onWarning?.(label, w);
      const { namespace: _ns, ...metadata } = r.pod.metadata;
      template.metadata = metadata;
      template.spec = r.pod.spec;
      return obj;
    } catch (e) {
      return withObject(e);
    }
  });
}
