/** The injector: pure pod mutation (pod + resolved ESO objects + cluster facts → plan → JSON patch). */
export { injectPod, injectManifests, CURRENT_CLUSTER, type InjectContext, type InjectResult, type InjectManifestsOptions } from './inject.ts';
export { describePlan } from './describe.ts';
export { InjectionDenied, type DenialReason } from './errors.ts';
export { lookupFrom, INLINE_EXTERNAL_SECRET, CaNotFound, ServiceAccountNotLoaded, type EsoLookup, type CaLookup, type CaRef, type ServiceAccountLookup } from './resolve.ts';
export { DEFAULTS, DEFAULT_AGENT_IMAGE, AGENT_CONFIG_FILE, type Plan, type ClusterFacts, type InjectDefaults, type Ownership, IDENTITY_ENV } from './plan.ts';
export { A as ANNOTATIONS, INJECT_LABEL, readSettings, wantsInjection, parseAgentPort, type PodSettings, type Mode } from './settings.ts';
export { applyPatch, deepEqual, pointer, PatchError, type PatchOp } from './json-patch.ts';
export { AGENT_ENV_ALLOWED, parseAgentEnvList } from './agent-env.ts';
export { podProblems } from './validate.ts';
export { runningPodConfig, runningPodInputs, storeSpecOf, type RunningPodInputs, type RunningPodConfig } from './running.ts';
