// Shared by the agent e2e suites: agent configs over real stores (moto, OpenBao), the agent run
// in-process with exactly the env and token files an injected pod gives it (providers read ctx.env,
// never process.env), its JSON log in <logDir>/esi-agent-*.log so the harness's sentinel scan covers it.
import { createWriteStream, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentConfig } from '../../contract/index.ts';
import { createMetrics, jsonLogger, runAgent, type AgentMetrics, type RunAgentOptions } from '../../agent/index.ts';
import { stringify } from 'yaml';
import { adminAccess, createServiceAccountToken, harness, kubeApi, logFile, scratchPath, sha256, writeTokenFile } from '../harness/index.ts';

export const MOUNT = '/var/run/secrets/esi';

type PolicyRule = { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] };

/** The Role the README documents for esi.dev/sync-secret: get/update on the one Secret, create secrets and events. */
export function syncSecretRules(target: string): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['secrets'], resourceNames: [target], verbs: ['get', 'update'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  ];
}

/**
 * The pod's own service account, holding only `rules` (the Role the README documents for a feature),
 * as the agent sees it: its token (what the projected service-account volume holds) in a kubeconfig.
 * Returns the kubeconfig's path.
 */
export async function podServiceAccount(ns: string, serviceAccount: string, rules: PolicyRule[], label: string): Promise<string> {
  const admin = adminAccess();
  const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}`;
  await kubeApi(admin, 'POST', `${rbac}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'esi-agent' }, rules });
  await kubeApi(admin, 'POST', `${rbac}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'esi-agent' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'esi-agent' },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: ns }],
  });
  const tokenFile = writeTokenFile(await createServiceAccountToken(ns, serviceAccount, [], 3600), `${label}-sa-${ns}`);
  const kubeconfig = scratchPath(`${label}-kubeconfig-${ns}`);
  const h = harness();
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'pod',
      contexts: [{ name: 'pod', context: { cluster: 'c', user: 'sa' } }],
      clusters: [{ name: 'c', cluster: { server: h.apiserverUrl, 'certificate-authority': h.caPath } }],
      users: [{ name: 'sa', user: { tokenFile } }],
    }),
  );
  return kubeconfig;
}

export interface EsSpec {
  name: string;
  data: { secretKey: string; key: string; property?: string }[];
  refreshInterval?: string;
  syncSecret?: boolean;
  uid?: string;
}

export function agentConfig(namespace: string, store: { name: string; provider: Record<string, unknown>; controller?: string }, ess: EsSpec[], extra: Partial<AgentConfig> = {}): AgentConfig {
  return {
    version: 1,
    pod: { namespace, name: 'app-0', serviceAccountName: 'app' },
    mountPath: MOUNT,
    fileMode: 0o440,
    externalSecrets: ess.map((e) => ({
      dir: e.name,
      syncSecret: e.syncSecret ?? false,
      externalSecret: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: e.name, namespace, ...(e.uid ? { uid: e.uid } : {}) },
        spec: {
          secretStoreRef: { name: store.name, kind: 'SecretStore' },
          refreshInterval: e.refreshInterval ?? '1h0m0s',
          target: { creationPolicy: 'Owner', deletionPolicy: 'Retain' },
          data: e.data.map((d) => ({ secretKey: d.secretKey, remoteRef: { key: d.key, ...(d.property ? { property: d.property } : {}) } })),
        },
      } as never,
    })),
    stores: {
      [`SecretStore/${store.name}`]: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: store.name, namespace },
        spec: { ...(store.controller !== undefined ? { controller: store.controller } : {}), provider: store.provider },
      } as never,
    },
    ...extra,
  };
}

export interface RunningAgent {
  root: string;
  dir(es: string): string;
  metrics: AgentMetrics;
  done: Promise<number>;
  stop(): Promise<number>;
  logPath: string;
}

export async function startAgent(name: string, o: Omit<RunAgentOptions, 'mode' | 'root' | 'logger'> & { mode?: 'init' | 'sidecar' }): Promise<RunningAgent> {
  const root = await mkdtemp(scratchPath(`agent-${name}-`));
  const logPath = logFile(`esi-agent-${name}.log`);
  const stream = createWriteStream(logPath, { flags: 'a' });
  const logger = jsonLogger({ level: 'debug', base: { component: 'esi-agent', test: name }, write: (line) => void stream.write(line) });
  const metrics = o.metrics ?? createMetrics({ defaultMetrics: false });
  const ac = new AbortController();
  const done = runAgent({ health: false, configPollSeconds: 0, ...o, mode: o.mode ?? 'sidecar', root, logger, metrics, signal: ac.signal });
  done.catch(() => undefined);
  return {
    root,
    dir: (es) => join(root, MOUNT, es),
    metrics,
    done,
    logPath,
    stop: async () => {
      ac.abort();
      try {
        return await done;
      } finally {
        await new Promise<void>((r) => stream.end(() => r()));
      }
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** sha256 of a file's content, or undefined if absent (compare secrets by hash, never print them). */
export async function fileHash(path: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(path));
  } catch {
    return undefined;
  }
}

export async function dataDir(esDir: string): Promise<string | undefined> {
  return readlink(join(esDir, '..data')).catch(() => undefined);
}

export async function metricValue(m: AgentMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) return 0;
  return (await metric.get()).values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((a, v) => a + v.value, 0);
}
