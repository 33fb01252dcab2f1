/**
 * Env of the agent container beyond the pod contract and identity: where the agent's requests go.
 * A cluster-wide setting (`esi webhook --agent-env`, chart `agent.env`), the app containers' own
 * endpoint env (copied like identity) and a per-pod annotation (`esi.dev/agent-env`) may set only the
 * names in AGENT_ENV_ALLOWED: a pod may aim its own agent at a VPC, FIPS or test endpoint, never make it
 * run other code (NODE_OPTIONS) or read other files. Later sources win: cluster, app containers, pod.
 */
import type { Container, EnvVar } from '../core/index.ts';
import { ANNOTATIONS, ENV } from '../contract/index.ts';
import { ENDPOINT_ENV } from '../providers/index.ts';
import { badAnnotation } from './errors.ts';
import { cloneJson } from './json-patch.ts';

/** What the agent honours: each provider's endpoint settings (its registration's endpointEnv), and the log level. */
export const AGENT_ENV_ALLOWED: readonly string[] = [...ENDPOINT_ENV, ENV.logLevel];

/** Copied from the app containers' env when an app has them (the log level is the agent's own). */
const FROM_APP = ENDPOINT_ENV;

const NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * `NAME=VALUE` entries through the allow-list, for the webhook flag and the pod annotation alike;
 * `refuse(entry problem)` makes the caller's error (a usage error or a named denial).
 */
function allowedPairs(entries: readonly string[], who: string, refuse: (problem: string) => Error): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const name = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    if (eq <= 0 || !NAME.test(name)) throw refuse(`${JSON.stringify(entry.slice(0, 80))} is not NAME=VALUE; e.g. "AWS_ENDPOINT_URL=https://vpce.example.amazonaws.com"`);
    if (!AGENT_ENV_ALLOWED.includes(name)) throw refuse(`${name} is not an agent setting ${who}; allowed: ${AGENT_ENV_ALLOWED.join(', ')}`);
    out[name] = entry.slice(eq + 1).trim();
  }
  return out;
}

/** `NAME=VALUE` pairs, as the webhook flag and the chart give them; throws a message naming the bad entry. */
export function parseAgentEnvList(entries: readonly string[], where: string): Record<string, string> {
  return allowedPairs(entries, 'esi passes on', (problem) => new Error(`${where}: ${problem}`));
}

/**
 * `esi.dev/agent-env: "AWS_ENDPOINT_URL=https://vpce-….amazonaws.com,AWS_USE_FIPS_ENDPOINT=true"`.
 * Values may not contain a comma (endpoint URLs and flags do not).
 */
export function parseAgentEnvAnnotation(raw: string): Record<string, string> {
  const annotation = ANNOTATIONS.agentEnv;
  const entries = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) throw badAnnotation(annotation, raw, 'give NAME=VALUE pairs separated by commas, e.g. "AWS_ENDPOINT_URL=https://vpce.example.amazonaws.com"');
  return allowedPairs(entries, 'a pod may change', (problem) => badAnnotation(annotation, raw, problem));
}

/** The agent's endpoint env: cluster defaults, then what the app containers set, then the pod's annotation. */
export function agentEnv(cluster: Record<string, string>, userContainers: readonly Container[], pod: Record<string, string> | undefined): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const [name, value] of Object.entries(cluster)) byName.set(name, { name, value });
  // the first container that sets a name wins; one pass over the env (admission runs this per pod)
  const fromApp = new Map<string, EnvVar>();
  for (const c of userContainers) for (const e of c.env ?? []) if (!fromApp.has(e.name)) fromApp.set(e.name, e);
  for (const name of FROM_APP) {
    const e = fromApp.get(name);
    if (e) byName.set(name, cloneJson(e));
  }
  for (const [name, value] of Object.entries(pod ?? {})) byName.set(name, { name, value });
  return AGENT_ENV_ALLOWED.filter((n) => byName.has(n)).map((n) => byName.get(n)!);
}
