// Runs one grammar case (eso-oracle-grammar.ts) on three sides: the real ESO controller syncs it in the
// oracle's apiserver, `esi render` (the CLI command, in process) renders it from the same manifests, and
// the esi agent (sync-secret, eso-oracle-agent.ts) writes it into the harness's apiserver; then the
// backend values rotate and all refresh. Returns what each side left, normalised for comparison.
// Values are compared by hash: nothing here prints a Secret value.
import { DeleteSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { main } from '../../cli/main.ts';
import { harness, kubeApi, kubeRaw, motoSecretsManager, putAwsSecret, scratchPath } from '../harness/index.ts';
import type { EsoOracle } from '../harness/eso-oracle.ts';
import type { OracleCase } from './eso-oracle-grammar.ts';
import { prepareAgentNamespace, startOracleAgent, type AgentRound, type OracleAgent } from './eso-oracle-agent.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b64: string) => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex').slice(0, 16);

/** The comparable view of a target Secret, or of its absence, or of an error. */
export type Outcome =
  | { kind: 'secret'; type: string; immutable: boolean; data: Record<string, string>; labels: Record<string, string>; annotations: Record<string, string>; owners: string[] }
  | { kind: 'none' }
  | { kind: 'error'; messages: string[] };

interface SecretObj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[]; managedFields?: unknown[]; resourceVersion?: string; uid?: string; creationTimestamp?: string };
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
}

export function secretOutcome(s: SecretObj): Outcome {
  return {
    kind: 'secret',
    type: s.type ?? 'Opaque',
    immutable: s.immutable === true,
    // data by hash: a diff shows which key differs, never a value.
    data: Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, sha(v)]).sort(([a], [b]) => (a < b ? -1 : 1))),
    labels: { ...(s.metadata.labels ?? {}) },
    annotations: { ...(s.metadata.annotations ?? {}) },
    owners: (s.metadata.ownerReferences ?? []).map((o) => `${o.apiVersion}/${o.kind}/${o.name}/${o.uid}/controller=${o.controller ?? false}/block=${o.blockOwnerDeletion ?? false}`),
  };
}

export interface OracleContext {
  oracle: EsoOracle;
  /** Namespace of the credential Secrets ClusterSecretStores reference. */
  credsNamespace: string;
  tag: string;
}

const CREDS = (ns: string, baoToken: string): SecretObj[] => [
  { metadata: { name: 'aws-creds', namespace: ns }, data: { 'access-key': b64('test'), 'secret-key': b64('test') } },
  { metadata: { name: 'bao-token', namespace: ns }, data: { token: b64(baoToken) } },
];
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

async function createSecret(o: EsoOracle, s: SecretObj): Promise<SecretObj> {
  const r = await kubeApi<SecretObj>(o.access, 'POST', `/api/v1/namespaces/${s.metadata.namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', ...s }, { allow: [409] });
  return r.body;
}

export async function prepareOracle(oracle: EsoOracle): Promise<OracleContext> {
  const credsNamespace = 'oracle-creds';
  await kubeApi(oracle.access, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: credsNamespace } }, { allow: [409] });
  for (const s of CREDS(credsNamespace, harness().baoRootToken)) await createSecret(oracle, s);
  return { oracle, credsNamespace, tag: randomBytes(3).toString('hex') };
}

export interface StoreManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: object;
}

function storeManifest(c: OracleCase, credsNs: string): StoreManifest {
  const cluster = c.storeKind === 'ClusterSecretStore';
  const nsOf = cluster ? { namespace: credsNs } : {};
  const provider = c.provider === 'aws'
    ? { aws: { service: 'SecretsManager', region: harness().awsRegion, auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws-creds', key: 'access-key', ...nsOf }, secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret-key', ...nsOf } } } } }
    : { vault: { server: harness().baoUrl, path: c.kv === 1 ? 'kv1' : 'secret', version: c.kv === 1 ? 'v1' : 'v2', auth: { tokenSecretRef: { name: 'bao-token', key: 'token', ...nsOf } } } };
  return {
    apiVersion: c.apiVersion,
    kind: c.storeKind,
    metadata: cluster ? { name: c.storeName } : { name: c.storeName, namespace: c.namespace },
    spec: { provider, ...(c.conditions ? { conditions: c.conditions } : {}) },
  };
}

async function baoCall(method: string, path: string, body?: string): Promise<void> {
  const h = harness();
  const r = await fetch(`${h.baoUrl}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': h.baoRootToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  if (!r.ok) throw new Error(`OpenBao ${method} /v1/${path}: HTTP ${r.status}`);
}

async function putBackend(c: OracleCase, round: 1 | 2): Promise<void> {
  for (const b of c.backend) {
    const text = round === 1 ? b.round1 : b.round2;
    if (round === 2 && b.deleteInRound2) {
      if (c.provider === 'aws') {
        const sm = motoSecretsManager();
        try {
          await sm.send(new DeleteSecretCommand({ SecretId: b.key, ForceDeleteWithoutRecovery: true }));
        } finally {
          sm.destroy();
        }
      } else await baoCall('DELETE', c.kv === 1 ? `kv1/${b.key}` : `secret/metadata/${b.key}`);
      continue;
    }
    if (round === 2 && b.round1 === b.round2) continue;
    if (c.provider === 'aws') {
      if (round === 1) await putAwsSecret(b.key, text, b.tags ?? {});
      else {
        const sm = motoSecretsManager();
        try {
          await sm.send(new PutSecretValueCommand({ SecretId: b.key, SecretString: text }));
        } finally {
          sm.destroy();
        }
      }
    } else {
      // Raw JSON text, so number spellings reach OpenBao as written (JSON.stringify would normalise them).
      if (c.kv === 1) await baoCall('POST', `kv1/${b.key}`, text);
      else await baoCall('POST', `secret/data/${b.key}`, `{"data":${text}}`);
    }
  }
}

interface EsStatus {
  metadata: { uid: string; generation?: number; annotations?: Record<string, string> };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; syncedResourceVersion?: string; refreshTime?: string };
}

interface EventObj {
  metadata: { name: string };
  type: string;
  reason: string;
  message: string;
  count?: number;
  involvedObject: { uid?: string; name: string };
}

async function esEvents(o: EsoOracle, ns: string, uid: string): Promise<EventObj[]> {
  const r = await kubeApi<{ items: EventObj[] }>(o.access, 'GET', `/api/v1/namespaces/${ns}/events`);
  return r.body.items.filter((e) => e.involvedObject.uid === uid);
}

/** Warning events by name → count: a new name or a higher count is a failure after that moment. */
const warningCounts = (evs: EventObj[]) => new Map(evs.filter((e) => e.type === 'Warning').map((e) => [e.metadata.name, e.count ?? 1]));
const newWarnings = (evs: EventObj[], before: Map<string, number>) =>
  evs.filter((e) => e.type === 'Warning' && (e.count ?? 1) > (before.get(e.metadata.name) ?? 0));

/**
 * Waits until ESO has finished a sync started after `before`: a new `syncedResourceVersion` (success, or
 * a policy outcome) or, with Ready=False, a Warning event newer than `before` (an error). Errors are
 * collected a little longer, so every key Go's map order made ESO name is among the messages.
 */
async function awaitEso(o: EsoOracle, c: OracleCase, path: string, before: { synced?: string; warnings: Map<string, number> }, timeoutMs = 45_000): Promise<{ es: EsStatus; errors?: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const done = (es: EsStatus) => {
    const ready = es.status?.conditions?.find((x) => x.type === 'Ready');
    const synced = es.status?.syncedResourceVersion;
    return ready?.status === 'True' && !!synced && synced !== before.synced;
  };
  for (;;) {
    const es = (await kubeApi<EsStatus>(o.access, 'GET', path)).body;
    if (done(es)) return { es };
    const ready = es.status?.conditions?.find((x) => x.type === 'Ready');
    if (ready?.status === 'False' && newWarnings(await esEvents(o, c.namespace, es.metadata.uid), before.warnings).length > 0) {
      await sleep(1500);
      const again = (await kubeApi<EsStatus>(o.access, 'GET', path)).body;
      if (done(again)) return { es: again };
      const fresh = newWarnings(await esEvents(o, c.namespace, es.metadata.uid), before.warnings);
      return { es: again, errors: [...new Set(fresh.map((e) => e.message))] };
    }
    if (Date.now() > deadline) {
      throw new Error(`ESO did not finish syncing ${path} within ${timeoutMs / 1000}s (Ready=${ready?.status ?? 'none'} ${ready?.reason ?? ''}); log: ${o.logPath}`);
    }
    await sleep(250);
  }
}

async function getSecret(o: EsoOracle, ns: string, name: string): Promise<SecretObj | undefined> {
  const r = await kubeRaw<SecretObj>(o.access, 'GET', `/api/v1/namespaces/${ns}/secrets/${name}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET secret ${ns}/${name}: HTTP ${r.status}`);
  return r.body;
}

const k8sObject = (kind: string, o: object) => ({ apiVersion: 'v1', kind, ...o });

/** `esi render` in process: the command users run, with files written to the run's scratch dir. */
async function esiRender(c: OracleCase, ctx: OracleContext, esManifest: object, existing: SecretObj | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  const id = `${c.seed}-${randomBytes(3).toString('hex')}`;
  const esFile = scratchPath(`oracle-es-${id}.json`);
  const storeFile = scratchPath(`oracle-store-${id}.json`);
  const objFile = scratchPath(`oracle-objects-${id}.json`);
  writeFileSync(esFile, JSON.stringify(esManifest));
  writeFileSync(storeFile, JSON.stringify(storeManifest(c, ctx.credsNamespace)));
  const credsNs = c.storeKind === 'ClusterSecretStore' ? ctx.credsNamespace : c.namespace;
  const objects: object[] = [
    ...CREDS(credsNs, harness().baoRootToken).map((s) => k8sObject('Secret', s)),
    k8sObject('Namespace', { metadata: { name: c.namespace, labels: { ...c.namespaceLabels, 'kubernetes.io/metadata.name': c.namespace } } }),
    ...c.configMaps.map((cm) => k8sObject('ConfigMap', { metadata: { name: cm.name, namespace: c.namespace }, data: cm.data })),
    ...c.templateSecrets.map((ts) => k8sObject('Secret', { metadata: { name: ts.name, namespace: c.namespace }, data: ts.data })),
    ...(existing ? [k8sObject('Secret', existing)] : []),
  ];
  // One JSON document per line is not YAML-safe for every value; a List keeps it one document.
  writeFileSync(objFile, objects.map((x) => JSON.stringify(x)).join('\n---\n'));
  let stdout = '';
  let stderr = '';
  const h = harness();
  const code = await main(['render', '--external-secret', esFile, '--store', storeFile, '-f', objFile, '-o', 'json'], {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    env: {
      PATH: process.env['PATH'],
      HOME: scratchPath('home'),
      AWS_REGION: h.awsRegion,
      AWS_ENDPOINT_URL: h.motoUrl,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: scratchPath('no-such-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: scratchPath('no-such-aws-credentials'),
    },
  });
  return { code, stdout, stderr };
}

function esiOutcome(r: { code: number; stdout: string; stderr: string }): Outcome {
  if (r.code !== 0) return { kind: 'error', messages: [r.stderr.trim()] };
  if (r.stdout.trim() === '') return { kind: 'none' };
  return secretOutcome(JSON.parse(r.stdout) as SecretObj);
}

export interface RoundResult {
  /** The target Secret as the round found it (none: it did not exist). */
  before: Outcome;
  eso: Outcome;
  esi: Outcome;
  /** The Secret the esi agent wrote with sync-secret into the harness's apiserver. */
  agent: Outcome;
  /** The agent's target Secret as the round found it (round 2: the agent's own from round 1). */
  agentBefore: Outcome;
  /**
   * `esi render` from the agent's starting point: `esi` itself when the agent's Secret before the round
   * equals ESO's, else a second render over the agent's (after a round ESO v0.16.2 explained differently).
   */
  esiForAgent: Outcome;
  /**
   * When the agent failed: `esi render` of what the agent renders first, the pod's files, which get what
   * ESO would write to a Secret it creates and owns (agent/agent.ts #syncOne, creationPolicy Owner, not
   * immutable, no existing Secret).
   */
  esiFiles?: Outcome;
  /** esi's stderr notes (why no Secret, skipped entries), for the failure message. */
  esiNotes: string;
  esoReason?: string;
}

/** Both rounds of one case. */
export async function runCase(c: OracleCase, ctx: OracleContext): Promise<RoundResult[]> {
  const o = ctx.oracle;
  await putBackend(c, 1);
  await kubeApi(o.access, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespace, labels: c.namespaceLabels } });
  if (c.storeKind === 'SecretStore') for (const s of CREDS(c.namespace, harness().baoRootToken)) await createSecret(o, s);
  const store = storeManifest(c, ctx.credsNamespace);
  const plural = c.storeKind === 'ClusterSecretStore' ? 'clustersecretstores' : `namespaces/${c.namespace}/secretstores`;
  const [group, version] = c.apiVersion.split('/') as [string, string];
  await kubeApi(o.access, 'POST', `/apis/${group}/${version}/${plural}`, store);
  for (const cm of c.configMaps) {
    await kubeApi(o.access, 'POST', `/api/v1/namespaces/${c.namespace}/configmaps`, k8sObject('ConfigMap', { metadata: { name: cm.name }, data: cm.data }));
  }
  for (const ts of c.templateSecrets) await createSecret(o, { metadata: { name: ts.name, namespace: c.namespace }, data: ts.data });
  const targetName = ((c.es.spec['target'] as { name?: string } | undefined)?.name) ?? c.es.metadata.name;
  let existing: SecretObj | undefined;
  const existingInput: SecretObj | undefined = c.existing
    ? {
        metadata: { name: targetName, namespace: c.namespace, ...(c.existing.labels ? { labels: c.existing.labels } : {}), ...(c.existing.annotations ? { annotations: c.existing.annotations } : {}) },
        data: c.existing.data,
        ...(c.existing.type ? { type: c.existing.type } : {}),
      }
    : undefined;
  if (existingInput) existing = await createSecret(o, existingInput);
  // The agent's side: the same namespace and pre-existing Secret in the harness's apiserver.
  await prepareAgentNamespace(c, existingInput);

  const esPath = `/apis/${group}/${version}/namespaces/${c.namespace}/externalsecrets`;
  const manifest = { apiVersion: c.apiVersion, kind: 'ExternalSecret', metadata: { ...c.es.metadata, namespace: c.namespace }, spec: c.es.spec };
  const created = (await kubeApi<EsStatus>(o.access, 'POST', esPath, manifest)).body;
  const uid = created.metadata.uid;
  const one = await awaitEso(o, c, `${esPath}/${c.es.metadata.name}`, { warnings: new Map() });
  const esoSecret1 = await getSecret(o, c.namespace, targetName);
  const results: RoundResult[] = [];
  const esi1 = await esiRender(c, ctx, { ...manifest, metadata: { ...manifest.metadata, uid } }, existing);
  const agent = await startOracleAgent(c, { ...manifest, metadata: { ...manifest.metadata, uid } }, store, { aws: ['test', 'test'], baoToken: harness().baoRootToken });
  try {
    const agent1 = await agentOutcome(agent, await agent.firstSync(), targetName);
    const before1: Outcome = existing ? secretOutcome(existing) : { kind: 'none' };
    const files1 = agent1.kind === 'error' ? { esiFiles: esiOutcome(await esiRender(c, ctx, filesManifest({ ...manifest, metadata: { ...manifest.metadata, uid } }), undefined)) } : {};
    results.push({ before: before1, eso: one.errors ? { kind: 'error', messages: one.errors } : esoSecret1 ? secretOutcome(esoSecret1) : { kind: 'none' }, esi: esiOutcome(esi1), agent: agent1, agentBefore: before1, esiForAgent: esiOutcome(esi1), ...files1, esiNotes: esi1.stderr, esoReason: one.es.status?.conditions?.find((x) => x.type === 'Ready')?.message });

    // Round 2: rotate the backend, then a metadata change on the ExternalSecret makes ESO refresh now
    // (its syncedResourceVersion covers labels and annotations), and the agent sees it in its config.
    await putBackend(c, 2);
    const warnings = warningCounts(await esEvents(o, c.namespace, uid));
    const annotations = { ...(c.es.metadata.annotations ?? {}), 'oracle.esi.dev/round': '2' };
    await kubeApi(o.access, 'PATCH', `${esPath}/${c.es.metadata.name}`, { metadata: { annotations } }, { contentType: 'application/merge-patch+json' });
    const two = await awaitEso(o, c, `${esPath}/${c.es.metadata.name}`, { synced: one.es.status?.syncedResourceVersion, warnings });
    const esoSecret2 = await getSecret(o, c.namespace, targetName);
    const before2 = esoSecret1 ?? (await getSecret(o, c.namespace, targetName));
    const manifest2 = { ...manifest, metadata: { ...manifest.metadata, annotations, uid } };
    const esi2 = await esiRender(c, ctx, manifest2, before2);
    const agentSecret1 = (await agent.secret(targetName)) as SecretObj | undefined;
    const agentBefore2: Outcome = agentSecret1 ? secretOutcome(agentSecret1) : { kind: 'none' };
    const esoBefore2: Outcome = before2 ? secretOutcome(before2) : { kind: 'none' };
    const esi2ForAgent = JSON.stringify(agentBefore2) === JSON.stringify(esoBefore2) ? esi2 : await esiRender(c, ctx, manifest2, agentSecret1);
    const agent2 = await agentOutcome(agent, await agent.refresh(manifest2), targetName);
    const files2 = agent2.kind === 'error' ? { esiFiles: esiOutcome(await esiRender(c, ctx, filesManifest(manifest2), undefined)) } : {};
    results.push({ before: esoBefore2, eso: two.errors ? { kind: 'error', messages: two.errors } : esoSecret2 ? secretOutcome(esoSecret2) : { kind: 'none' }, esi: esiOutcome(esi2), agent: agent2, agentBefore: agentBefore2, esiForAgent: esiOutcome(esi2ForAgent), ...files2, esiNotes: esi2.stderr, esoReason: two.es.status?.conditions?.find((x) => x.type === 'Ready')?.message });
    return results;
  } finally {
    await agent.stop();
  }
}

/** The ExternalSecret as the agent renders it for the pod's files (agent/agent.ts #syncOne `forFiles`). */
function filesManifest<T extends { spec: Record<string, unknown> }>(m: T): T {
  return { ...m, spec: { ...m.spec, target: { ...(m.spec['target'] as object), creationPolicy: 'Owner', immutable: false } } };
}

async function agentOutcome(agent: OracleAgent, round: AgentRound, targetName: string): Promise<Outcome> {
  if (round.kind === 'failed') return { kind: 'error', messages: [round.message] };
  const s = (await agent.secret(targetName)) as SecretObj | undefined;
  return s ? secretOutcome(s) : { kind: 'none' };
}
