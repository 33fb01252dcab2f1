/**
 * `esi demo`: the whole product on one machine, no cluster and no cloud. It injects the demo Deployment
 * exactly as the webhook would, runs the real agent against ESO's `fake` provider in a temp dir, then
 * changes the store's value the way the webhook's controller would (by updating the pod's config) and
 * shows the app's file flip in place — same path, no restart.
 */
import { mkdir, mkdtemp, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, Pod, PodTemplate } from '../../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, AGENT_CONFIG_FILE, type AgentConfig } from '../../contract/index.ts';
import { loadRegexpEngine } from '../../eso/index.ts';
import { injectPod, describePlan, lookupFrom } from '../../injector/index.ts';
import { ENV_HEALTH_ADDR, runAgent } from '../../agent/index.ts';
import { parseFlags, wantsHelp, type Command } from '../io.ts';
import { parseManifests } from '../manifests.ts';
import appYaml from '../../examples/demo/app.yaml?raw';
import externalSecretYaml from '../../examples/demo/external-secret.yaml?raw';
import storeYaml from '../../examples/demo/store.yaml?raw';

const HELP = `Usage: esi demo [--keep]

Runs esi end to end on this machine against ESO's fake provider: injects the demo Deployment
(examples/demo/), runs the agent in a temp dir, shows the files, rotates the secret and shows the
app-visible file change in place. Exits by itself; no cluster or cloud needed. The agent's health
server listens on a free loopback port (ESI_AGENT_HEALTH_ADDR=host:port picks one).

Flags:
  --keep      keep the temp dir and print its path
  -h, --help  show this help
`;

const ROTATE_TIMEOUT_MS = 30_000;

export const demoCommand: Command = async (argv, io) => {
  if (wantsHelp(argv)) {
    io.stdout(HELP);
    return 0;
  }
  const { values } = parseFlags(argv, { keep: { type: 'boolean' } }, 'demo');
  await loadRegexpEngine();
  const out = (s = '') => io.stdout(`${s}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'esi-demo-'));
  const agentAbort = new AbortController();
  const onOuterAbort = () => agentAbort.abort();
  io.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let agentDone: Promise<number> | undefined;
  try {
    const app = parseManifests(appYaml, 'examples/demo/app.yaml');
    const esoObjects = [
      ...parseManifests(externalSecretYaml, 'examples/demo/external-secret.yaml'),
      ...parseManifests(storeYaml, 'examples/demo/store.yaml'),
    ];

    out('== 1. Admission: the ReplicaSet creates a pod from the Deployment\'s template; the webhook injects it');
    const deployment = app[0] as KubeObject & { spec: { template: PodTemplate } };
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...structuredClone(deployment.spec.template.metadata ?? {}), namespace: deployment.metadata.namespace ?? 'default' },
      spec: structuredClone(deployment.spec.template.spec),
    };
    const { plan, pod: injected, patch } = injectPod(pod, { eso: lookupFrom(esoObjects), workloadKind: deployment.kind });
    if (!plan) throw new Error('the demo pod was not injected');
    for (const line of describePlan(plan)) out(`   ${line}`);
    out(`   (${patch.length} JSON patch operations; \`esi inject -f examples/demo/app.yaml -f ...\` prints the whole pod)`);
    const configText = injected.metadata.annotations?.[AGENT_CONFIG_ANNOTATION];
    if (!configText) throw new Error(`the injected pod has no ${AGENT_CONFIG_ANNOTATION} annotation`);
    const config = JSON.parse(configText) as AgentConfig;

    out('');
    out('== 2. The agent starts in the pod (here: a temp dir) and syncs with the pod\'s own identity');
    const configPath = join(dir, 'podinfo', AGENT_CONFIG_FILE);
    const root = join(dir, 'root');
    await writeConfig(configPath, config);
    const started = Date.now();
    // A workstation run must not need the pod's fixed health port (8099 may be taken on this machine):
    // a free loopback port unless the user asked for an address.
    const health = io.env[ENV_HEALTH_ADDR] ? undefined : { host: '127.0.0.1', port: 0 };
    agentDone = runAgent({
      configPath, config: config, root, mode: 'sidecar', env: io.env, signal: agentAbort.signal, logLevel: 'silent',
      health, onListening: (address) => out(`   health and metrics: http://${address}/metrics`),
    });
    const esDir = join(root, config.mountPath, 'app-credentials');
    const passwordFile = join(esDir, 'password');
    const first = await waitFor(passwordFile, (v) => v === 'demo-password-v1', ROTATE_TIMEOUT_MS, agentDone);
    out(`   first complete sync after ${Date.now() - started} ms`);
    out(`   ${config.mountPath}/app-credentials/`);
    for (const key of ['username', 'password']) {
      const target = await readlink(join(esDir, key));
      out(`     ${key} -> ${target}    ${key === 'password' ? first : await readFile(join(esDir, key), 'utf8')}`);
    }
    out(`     ..data -> ${await readlink(join(esDir, '..data'))}`);

    out('');
    out('== 3. Rotation: the store\'s value changes (v1 -> v2); the webhook controller updates the pod\'s config');
    const rotated = structuredClone(config);
    const store = Object.values(rotated.stores)[0]!;
    for (const d of store.spec.provider.fake?.data ?? []) d.value = d.value?.replace('demo-password-v1', 'demo-password-v2');
    const rotateStart = Date.now();
    await writeConfig(configPath, rotated);
    const second = await waitFor(passwordFile, (v) => v === 'demo-password-v2', ROTATE_TIMEOUT_MS, agentDone);
    const took = Date.now() - rotateStart;
    out(`   ${config.mountPath}/app-credentials/password: ${first} -> ${second}`);
    out(`     ..data -> ${await readlink(join(esDir, '..data'))}`);
    out(`   rotated in place in ${took} ms: same path, no pod restart, the app just reads the file again`);
    out('');
    out('Next: examples/ has more ExternalSecrets; `esi render` prints the Secret ESO would sync;');
    out('`esi inject -f your-deployment.yaml -f your-eso-objects.yaml` shows what the webhook would add.');
    return 0;
  } finally {
    agentAbort.abort();
    io.signal?.removeEventListener('abort', onOuterAbort);
    if (agentDone) await agentDone.catch(() => 1);
    if (values.keep) io.stdout(`(kept ${dir})\n`);
    else await rm(dir, { recursive: true, force: true });
  }
};

/** Writes the config the way the kubelet updates a downward-API file: whole, then renamed into place. */
async function writeConfig(path: string, config: AgentConfig): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(config));
  await rename(`${path}.tmp`, path);
}

async function waitFor(path: string, ok: (v: string) => boolean, timeoutMs: number, agent: Promise<number>): Promise<string> {
  let agentExited: number | undefined;
  void agent.then((c) => (agentExited = c));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await readFile(path, 'utf8');
      if (ok(v)) return v;
    } catch {
      /* not written yet */
    }
    if (agentExited !== undefined) throw new Error(`the agent exited with code ${agentExited} before ${path} was written`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
