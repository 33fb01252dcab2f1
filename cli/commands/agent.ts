/**
 * `esi agent`: the in-pod agent (`--config F`), or the same agent run on a workstation from an injected
 * Pod manifest (`--pod F --root DIR`), with the current environment's credentials.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_HEALTH_PORT, runAgent, validateAgentConfig, writeTerminationMessage, type AgentMode } from '../../agent/index.ts';
import { describeError, EsiError, isObject, type Container, type KubeObject } from '../../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, ENV, type AgentConfig } from '../../contract/index.ts';
import { parseFlags, UsageError, wantsHelp, type Command } from '../io.ts';

const HELP = `Usage:
  esi agent --config FILE [--mode init|sidecar] [--once] [--listen HOST:PORT]
  esi agent --pod FILE [--root DIR] [--mode init|sidecar] [--once] [--listen HOST:PORT]

Runs the in-pod agent: fetches the pod's ExternalSecrets with the pod's own identity and writes them as
files under the mount path (<mount>/<externalsecret>/<key>), atomically, refreshing in place.

  --config FILE   the agent config (the esi.dev/agent-config annotation, as a downward-API file);
                  watched, and reloaded without a restart
  --pod FILE      an injected Pod (or workload) manifest, as \`esi inject\` or the webhook produced it:
                  run the agent that pod would run, on this machine, with this environment's credentials
  --root DIR      with --pod: write files under DIR + the pod's mount path (default: a path relative to
                  the current directory, ./esi-root)
  --mode MODE     init: exit 0 after the first complete sync, non-zero with the reason after bounded
                  retries; sidecar (default): keep refreshing until SIGTERM
  --once          sidecar: sync once and exit (0 when every ExternalSecret synced)
  --listen ADDR   health and metrics server (/healthz /readyz /startupz /metrics); default
                  0.0.0.0:${AGENT_HEALTH_PORT} with --config, 127.0.0.1:${AGENT_HEALTH_PORT} with --pod, off in init mode;
                  "off" disables it (env ESI_AGENT_HEALTH_ADDR does the same)
`;

export const agentCommand: Command = async (argv, io) => {
  if (wantsHelp(argv)) {
    io.stdout(HELP);
    return 0;
  }
  // The agent's JSON log lines go to this command's stdout (the process's, or a test's capture).
  const logDestination = { write: (line: string) => io.stdout(line) };
  const { values } = parseFlags(
    argv,
    {
      config: { type: 'string' },
      pod: { type: 'string' },
      root: { type: 'string' },
      mode: { type: 'string' },
      once: { type: 'boolean' },
      listen: { type: 'string' },
    },
    'agent',
  );
  if (!values.config === !values.pod) throw new UsageError('esi agent: pass exactly one of --config FILE or --pod FILE (see esi agent --help)');
  if (values.root && !values.pod) throw new UsageError('esi agent: --root goes with --pod (see esi agent --help)');
  const mode = (values.mode ?? 'sidecar') as AgentMode;
  if (mode !== 'init' && mode !== 'sidecar') throw new UsageError(`esi agent: --mode: expected init or sidecar, got ${JSON.stringify(values.mode)}`);
  const listenText = values.listen ?? io.env[ENV.healthAddr];
  const health = listenText === undefined ? (values.pod ? (mode === 'init' || values.once ? false : { host: '127.0.0.1', port: AGENT_HEALTH_PORT }) : undefined) : parseListen(listenText);

  if (values.config) {
    try {
      return await runAgent({ configPath: values.config, mode, once: values.once === true, env: io.env, logDestination, ...(io.signal ? { signal: io.signal } : {}), ...(health !== undefined ? { health } : {}) });
    } catch (e) {
      // In a pod: the reason goes where `kubectl describe pod` shows it (lastState.terminated.message).
      writeTerminationMessage(`esi agent: ${describeError(e)}`);
      throw e;
    }
  }
  const root = values.root ?? join(process.cwd(), 'esi-root');
  const { config, env, notes } = await podAgentSetup(values.pod!, root);
  for (const n of notes) io.stderr(`esi agent: ${n}\n`);
  return runAgent({
    config,
    root,
    mode,
    once: values.once === true,
    env: { ...env, ...io.env },
    logDestination,
    ...(io.signal ? { signal: io.signal } : {}),
    ...(health !== undefined ? { health } : {}),
  });
};

function parseListen(text: string): { host: string; port: number } | false {
  if (text === 'off') return false;
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`esi agent: --listen: expected HOST:PORT or off, got ${JSON.stringify(text)}`);
  return { host: text.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

interface PodTemplateLike {
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec: { containers?: Container[]; initContainers?: Container[]; serviceAccountName?: string };
}

/** The pod template of a Pod or a workload (Deployment … CronJob). */
function podTemplateOf(obj: KubeObject): PodTemplateLike | undefined {
  if (obj.kind === 'Pod') return obj as unknown as PodTemplateLike;
  const spec = obj['spec'];
  if (!isObject(spec)) return undefined;
  const jobTemplate = spec['jobTemplate'];
  const tpl = isObject(jobTemplate) && isObject(jobTemplate['spec']) ? jobTemplate['spec']['template'] : spec['template'];
  if (!isObject(tpl)) return undefined;
  const t = tpl as unknown as PodTemplateLike;
  return { metadata: { ...(t.metadata ?? {}), namespace: t.metadata?.namespace ?? obj.metadata.namespace, name: t.metadata?.name ?? obj.metadata.name }, spec: t.spec ?? {} };
}

function isAgentContainer(c: Container): boolean {
  const words = [...(c.command ?? []), ...(c.args ?? [])];
  return words.includes('agent') && words.some((w) => w === '--config' || w.startsWith('--config='));
}

/**
 * Reads the injected pod: the agent config from its annotation, and the env the kubelet would give the
 * agent container. Literal values and fieldRefs resolve here; Secret/ConfigMap references cannot
 * (no cluster), so the current environment supplies those. Absolute paths in env values that exist
 * under `root` (tokens a harness materialised) are pointed there.
 */
export async function podAgentSetup(path: string, root: string): Promise<{ config: AgentConfig; env: Record<string, string>; notes: string[] }> {
  // The YAML parser loads only for --pod (a workstation run), never in a pod.
  const { readManifests } = await import('../manifests.ts');
  const objects = await readManifests(path);
  const pods = objects.map(podTemplateOf).filter((p): p is PodTemplateLike => !!p?.metadata.annotations?.[AGENT_CONFIG_ANNOTATION]);
  if (pods.length === 0) throw new EsiError('no-agent', `${path}: no injected pod (no ${AGENT_CONFIG_ANNOTATION} annotation on a Pod or pod template); run esi inject first`);
  if (pods.length > 1) throw new EsiError('no-agent', `${path}: ${pods.length} injected pods; pass a file with one`);
  const pod = pods[0]!;
  let config: AgentConfig;
  try {
    config = validateAgentConfig(JSON.parse(pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]!), `${path}: annotation ${AGENT_CONFIG_ANNOTATION}`);
  } catch (e) {
    if (e instanceof SyntaxError) throw new EsiError('config', `${path}: annotation ${AGENT_CONFIG_ANNOTATION}: not JSON: ${e.message}`);
    throw e;
  }
  const containers = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
  const agent = containers.find(isAgentContainer);
  const env: Record<string, string> = {};
  const notes: string[] = [];
  if (!agent) notes.push('no agent container found in the pod; using only the current environment');
  for (const v of agent?.env ?? []) {
    if (v.value !== undefined) {
      const r = v.value.startsWith('/') ? join(root, v.value) : undefined;
      env[v.name] = r && existsSync(r) ? r : v.value;
    } else if (v.valueFrom?.fieldRef) {
      const f = v.valueFrom.fieldRef.fieldPath;
      if (f === 'metadata.namespace') env[v.name] = config.pod.namespace;
      else if (f === 'metadata.name' && config.pod.name) env[v.name] = config.pod.name;
      else if (f === 'spec.serviceAccountName') env[v.name] = config.pod.serviceAccountName;
    } else if (v.valueFrom?.secretKeyRef || v.valueFrom?.configMapKeyRef) {
      notes.push(`env ${v.name} comes from the cluster (${v.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap'}); using this environment's ${v.name} if set`);
    }
  }
  return { config, env, notes };
}
