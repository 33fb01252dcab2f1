/**
 * The agent config of a pod that is already running, from what the webhook's controller keeps of it
 * (webhook/pod-record.ts): its namespace, service account and `esi.dev/*` settings — no spec. The steps
 * are injectPod's that the config depends on (read settings → resolve → agentConfigFor → size check);
 * the checks of the spec (containers named by annotations, mount clashes, the on-change target) ran at
 * admission, and a running pod's containers and volumes cannot change.
 *
 * What the stores put into the spec (static-credential env of the agent, projected service-account
 * tokens for providers that log in with one) cannot follow a change without a restart: `storeSpecOf(pod)` reads it from the injected pod
 * once, `storeSpecOfResolved` says what the stores want now, in the same text, so the controller can
 * tell the user to restart the pod.
 */
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../contract/index.ts';
import { isObject, type Pod } from '../core/index.ts';
import { checkAnnotationsSize, type InjectContext } from './inject.ts';
import { readClaim } from './ownership.ts';
import { agentConfigFor, DEFAULTS, serviceAccountOf, type InjectDefaults } from './plan.ts';
import { resolve, type Resolved } from './resolve.ts';
import { A, PREFIX, readSettings } from './settings.ts';

/** What the config of a running pod is a function of, besides the cluster's objects. */
export interface RunningPodInputs {
  namespace: string;
  serviceAccountName: string;
  /** The pod's `esi.dev/*` annotations but the two esi writes (agent-config, injected). */
  settings: Record<string, string>;
  /** Bytes (keys plus values) of the pod's annotations other than the agent config. */
  otherAnnotationBytes: number;
  /** `storeSpecOf(pod)`. */
  storeSpec: string;
}

export interface RunningPodConfig {
  config: AgentConfig;
  /** The annotation value (JSON of `config`). */
  value: string;
  /** The stores now want a spec the pod does not have (new credential env, another projected token). */
  specDrift: boolean;
}

/** Reads what re-resolving needs from a full pod (as the apiserver sends it). Pure. */
export function runningPodInputs(pod: Pod): RunningPodInputs {
  const settings: Record<string, string> = {};
  let otherAnnotationBytes = 0;
  for (const [k, v] of Object.entries(pod.metadata.annotations ?? {})) {
    if (k === AGENT_CONFIG_ANNOTATION) continue;
    otherAnnotationBytes += Buffer.byteLength(k) + Buffer.byteLength(String(v));
    if (k.startsWith(PREFIX) && k !== A.injected) settings[k] = v;
  }
  return {
    namespace: pod.metadata.namespace ?? 'default',
    serviceAccountName: isObject(pod.spec) ? serviceAccountOf(pod) : 'default',
    settings,
    otherAnnotationBytes,
    storeSpec: isObject(pod.spec) ? storeSpecOf(pod) : '',
  };
}

const CREDENTIAL_ENV = /^ESI_[A-Z0-9_]+_(CSS|SS)_[A-Z0-9_]*_[0-9a-f]{8}$/; // contract/pod.ts storeEnvName

interface Token {
  audience?: string;
  expirationSeconds?: number;
  path?: string;
}

const specText = (env: { name: string; secret: string; key: string }[], tokens: Token[]) =>
  `${env.map((e) => `${e.name}=${e.secret}/${e.key}`).join(',')}|${tokens.map((t) => `${t.path ?? ''}:${t.audience ?? ''}:${t.expirationSeconds ?? ''}`).sort().join(',')}`;

/** The store-derived part of an injected pod's spec: the agent's credential env and projected tokens. Pure. */
export function storeSpecOf(pod: Pod): string {
  const owned = readClaim(pod.metadata.annotations);
  const agent = [
    ...(pod.spec.initContainers ?? []).filter((c) => owned.initContainers.includes(c.name)),
    ...(pod.spec.containers ?? []).filter((c) => owned.containers.includes(c.name)),
  ][0];
  const env = (agent?.env ?? []).flatMap((e) => {
    const ref = e.valueFrom?.secretKeyRef;
    return CREDENTIAL_ENV.test(e.name) && ref ? [{ name: e.name, secret: ref.name, key: ref.key }] : [];
  });
  const tokens: Token[] = [];
  for (const v of pod.spec.volumes ?? []) {
    if (!owned.volumes.includes(v.name)) continue;
    const sources = (v as { projected?: { sources?: { serviceAccountToken?: Token }[] } }).projected?.sources ?? [];
    for (const s of sources) if (s.serviceAccountToken) tokens.push(s.serviceAccountToken);
  }
  return specText(env, tokens);
}

/** The same text for what the resolved stores want. Pure. */
export function storeSpecOfResolved(r: Resolved): string {
  const env = r.credentialEnv.flatMap((e) => (e.valueFrom?.secretKeyRef ? [{ name: e.name, secret: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key }] : []));
  return specText(env, Object.values(r.serviceAccountTokens));
}

/** The desired agent config of a running pod; throws InjectionDenied as admission would. Pure. */
export function runningPodConfig(inp: RunningPodInputs, ctx: InjectContext): RunningPodConfig {
  const namespaceLabels = { 'kubernetes.io/metadata.name': inp.namespace, ...(ctx.namespaceLabels ?? {}) };
  const defaults: InjectDefaults = { ...DEFAULTS, ...(ctx.defaults ?? {}) };
  const settings = readSettings(inp.settings);
  const resolved = resolve(settings, {
    namespace: inp.namespace,
    namespaceLabels,
    serviceAccountName: inp.serviceAccountName,
    lookup: ctx.eso,
    controllerClass: defaults.controllerClass,
    ...(ctx.caLookup ? { caLookup: ctx.caLookup } : {}),
  });
  const config = agentConfigFor({ namespace: inp.namespace, namespaceLabels, serviceAccountName: inp.serviceAccountName, settings, resolved, defaults });
  const value = JSON.stringify(config);
  checkAnnotationsSize(Buffer.byteLength(value), inp.otherAnnotationBytes, config.externalSecrets.length);
  return { config, value, specDrift: storeSpecOfResolved(resolved) !== inp.storeSpec };
}

