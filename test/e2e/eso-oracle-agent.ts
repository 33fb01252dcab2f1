// The esi agent as the third side of the ESO-oracle differential (issue 17): for one grammar case, the
// in-pod agent runs as a sidecar with esi.dev/sync-secret and writes the target Secret into the harness's
// kube-apiserver (the oracle's own apiserver is ESO's to write), exactly as an injected pod would: its
// config is what the injector resolves (the ExternalSecret with its uid, the store handed to esi's
// controller class, the namespace's labels), the store's `auth.secretRef` keys reach it as the env the
// injector's secretKeyRefs give, and it reaches the API through a kubeconfig. A refresh is the agent
// noticing the changed ExternalSecret in its config file, as it does when the webhook's pod annotation
// changes. Outcomes are read back from the apiserver and compared by hash (eso-oracle-driver.ts).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { createMetrics, jsonLogger, runAgent } from '../../agent/index.ts';
import { DEFAULT_CONTROLLER_CLASS, storeKey, type AgentConfig } from '../../contract/index.ts';
import { credentialEnvNames } from '../../providers/index.ts';
import { adminAccess, harness, kubeApi, kubeRaw, logFile, scratchPath } from '../harness/index.ts';
import type { StoreManifest } from './eso-oracle-driver.ts';
import type { OracleCase } from './eso-oracle-grammar.ts';

const MOUNT = '/var/run/secrets/esi';
/** The agent's log lines that end one sync of an ExternalSecret (agent/agent.ts #syncOne). */
const SYNC_DONE = 'sync done';
const SYNC_FAILED = 'sync failed; the last good files stay';

export type AgentRound = { kind: 'synced' } | { kind: 'failed'; message: string };

export interface OracleAgent {
  /** Waits for the agent's first sync of the ExternalSecret. */
  firstSync(): Promise<AgentRound>;
  /** Hands the agent the ExternalSecret as changed (round 2) and waits for the sync that follows. */
  refresh(externalSecret: object): Promise<AgentRound>;
  /** The target Secret as the agent left it in the harness's apiserver (404: undefined). */
  secret(name: string): Promise<object | undefined>;
  stop(): Promise<void>;
}

/**
 * The namespace (same name and labels as in the oracle's apiserver), any pre-existing target Secret, and
 * the ConfigMaps and Secrets templateFrom reads (the agent gets them from the cluster, as ESO does).
 */
export async function prepareAgentNamespace(c: OracleCase, existing: object | undefined): Promise<void> {
  const admin = adminAccess();
  await kubeApi(admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespace, labels: c.namespaceLabels } });
  if (existing) await kubeApi(admin, 'POST', `/api/v1/namespaces/${c.namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', ...existing });
  for (const cm of c.configMaps) await kubeApi(admin, 'POST', `/api/v1/namespaces/${c.namespace}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.name }, data: cm.data });
  for (const ts of c.templateSecrets) await kubeApi(admin, 'POST', `/api/v1/namespaces/${c.namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: ts.name }, data: ts.data });
}

/** What the injector puts in the pod: the agent config (value-free) and the credential env. */
function podFor(c: OracleCase, externalSecret: object, store: StoreManifest, credentials: { aws: [string, string]; baoToken: string }): { config: AgentConfig; env: Record<string, string> } {
  const h = harness();
  const names = credentialEnvNames(store.kind, store.metadata.name);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: scratchPath('home'),
    AWS_REGION: h.awsRegion,
    AWS_ENDPOINT_URL: h.motoUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: scratchPath('no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: scratchPath('no-such-aws-credentials'),
    ESI_KUBECONFIG: h.kubeconfigPath,
  };
  if (c.provider === 'aws') {
    env[names['awsAccessKeyId']!] = credentials.aws[0];
    env[names['awsSecretAccessKey']!] = credentials.aws[1];
  } else env[names['vaultToken']!] = credentials.baoToken;
  const config = {
    version: 1,
    pod: { namespace: c.namespace, name: `oracle-${c.seed}`, serviceAccountName: 'default' },
    mountPath: MOUNT,
    fileMode: 0o440,
    externalSecrets: [{ dir: 'es', syncSecret: true, externalSecret }],
    // esi.dev/sync-secret is admitted only for stores of esi's controller class (ESO's controller skips them).
    stores: { [storeKey(store.kind, store.metadata.name)]: { ...store, spec: { ...store.spec, controller: DEFAULT_CONTROLLER_CLASS } } },
    namespaceLabels: { 'kubernetes.io/metadata.name': c.namespace, ...c.namespaceLabels },
    controllerClass: DEFAULT_CONTROLLER_CLASS,
  } as unknown as AgentConfig;
  return { config, env };
}

export async function startOracleAgent(c: OracleCase, externalSecret: object, store: StoreManifest, credentials: { aws: [string, string]; baoToken: string }): Promise<OracleAgent> {
  const { config, env } = podFor(c, externalSecret, store, credentials);
  const root = await mkdtemp(scratchPath(`oracle-agent-${c.seed}-`));
  const configPath = `${root}-config.json`;
  await writeFile(configPath, JSON.stringify(config));
  const stream = createWriteStream(logFile(`esi-agent-oracle-${c.seed}-${c.namespace}.log`), { flags: 'a' });
  // Sync ends (done or failed), in order; the log also goes to the run's log dir for the sentinel scan.
  const ends: AgentRound[] = [];
  let wake: (() => void) | undefined;
  const logger = jsonLogger({
    level: 'debug',
    base: { component: 'esi-agent', test: `oracle-${c.seed}` },
    write: (line) => {
      stream.write(line);
      const o = JSON.parse(line) as { msg?: string; err?: string };
      if (o.msg === SYNC_DONE) ends.push({ kind: 'synced' });
      else if (o.msg === SYNC_FAILED) ends.push({ kind: 'failed', message: o.err ?? '' });
      else return;
      wake?.();
    },
  });
  const ac = new AbortController();
  const done = runAgent({
    configPath,
    configPollSeconds: 1,
    mode: 'sidecar',
    root,
    env,
    logger,
    metrics: createMetrics({ defaultMetrics: false }),
    health: false,
    // No retry between the rounds: round 2 is the sync the changed config starts, not a backoff retry
    // of a failed round 1 (a config change resets the backoff).
    backoff: { baseMs: 3_600_000, capMs: 3_600_000 },
    signal: ac.signal,
  });
  let crashed: Error | undefined;
  done.catch((e: Error) => {
    crashed = e;
    wake?.();
  });
  const nth = async (n: number, what: string): Promise<AgentRound> => {
    const deadline = Date.now() + 60_000;
    while (ends.length < n) {
      if (crashed) return { kind: 'failed', message: crashed.message };
      if (Date.now() > deadline) throw new Error(`esi agent: no ${what} within 60s (log: esi-agent-oracle-${c.seed}-${c.namespace}.log)`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 250);
      });
    }
    return ends[n - 1]!;
  };
  return {
    firstSync: () => nth(1, 'first sync'),
    async refresh(es) {
      const before = ends.length;
      const next = { ...config, externalSecrets: [{ ...config.externalSecrets[0]!, externalSecret: es }] };
      await writeFile(`${configPath}.tmp`, JSON.stringify(next));
      // A rename, as the kubelet swaps a downward-API file.
      await rename(`${configPath}.tmp`, configPath);
      return nth(before + 1, 'sync after the config change');
    },
    async secret(name) {
      const r = await kubeRaw<object>(adminAccess(), 'GET', `/api/v1/namespaces/${c.namespace}/secrets/${name}`);
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new Error(`GET secret ${c.namespace}/${name} from the harness apiserver: HTTP ${r.status}`);
      return r.body;
    },
    async stop() {
      ac.abort();
      await done.catch(() => undefined);
      await new Promise<void>((r) => stream.end(() => r()));
    },
  };
}
