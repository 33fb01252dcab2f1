// Two replicas of `esi webhook` as users run it (the built CLI, each in its own process) against the real
// kube-apiserver: both serve admission, only the holder of the controller Lease patches pods; SIGKILL of
// the leader in the middle of a resync hands over (Lease expiry) and no pod misses the update; SIGTERM
// releases the Lease.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../../contract/index.ts';
import { injectPod, lookupFrom } from '../../injector/index.ts';
import { adminAccess, freshNamespace, harness, issueServingCertificate, kubeApi, logFile } from '../harness/index.ts';
import { metricSample, scrapeMetrics } from '../harness/metrics.ts';
import { freePort } from '../harness/processes.ts';
import { ESO, externalSecret, fakeStore } from './webhook-helpers.ts';

const esi = resolve(import.meta.dirname, '..', '..', 'dist', 'esi.mjs');
const PODS = 60;

interface Replica {
  proc: ChildProcess;
  port: number;
  log: string;
  identity(): string | undefined;
  exited: Promise<number | null>;
}

let ns: string;
let leaseNs: string;
let tls: { cert: string; key: string; ca: string };
const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const port = await freePort();
  const log = logFile(`esi-webhook-leader-${name}.log`);
  const out = createWriteStream(log, { flags: 'a' });
  const proc = spawn(
    process.execPath,
    [esi, 'webhook', '--kubeconfig', harness().kubeconfigPath, '--tls-cert', tls.cert, '--tls-key', tls.key, '--port', String(port), '--native-sidecars', 'true', '--leader-election-namespace', leaseNs, '--kube-api-qps', '10', '--namespace-selector', `esi-e2e-leader=${ns}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: harness().runDir } },
  );
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const r: Replica = {
    proc,
    port,
    log,
    exited,
    identity: () => {
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        if (line.includes('campaigning for the controller Lease')) return (JSON.parse(line) as { identity: string }).identity;
      }
      return undefined;
    },
  };
  replicas.push(r);
  return r;
}

const metrics = (r: Replica) => scrapeMetrics(r.port, { ca: tls.ca, timeoutMs: 3000 });

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Lease {
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number; acquireTime?: string; renewTime?: string };
}
const lease = async () => (await kubeApi<Lease>(adminAccess(), 'GET', `/apis/coordination.k8s.io/v1/namespaces/${leaseNs}/leases/esi-controller`)).body;

async function configs(): Promise<AgentConfig[]> {
  const list = (await kubeApi<{ items: Pod[] }>(adminAccess(), 'GET', `/api/v1/namespaces/${ns}/pods`)).body;
  return list.items.map((p) => JSON.parse(p.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig);
}
const keysOf = (c: AgentConfig) => c.externalSecrets[0]!.externalSecret.spec.data!.map((d) => d.secretKey).join(',');

async function setKeys(keys: string[]): Promise<void> {
  const es = externalSecret('app', 'fake', keys.map((k) => ({ secretKey: k, key: 'k' })));
  const cur = (await kubeApi<KubeObject>(adminAccess(), 'GET', `/apis/${ESO}/namespaces/${ns}/externalsecrets/app`)).body;
  await kubeApi(adminAccess(), 'PUT', `/apis/${ESO}/namespaces/${ns}/externalsecrets/app`, { ...es, metadata: { ...es.metadata, namespace: ns, resourceVersion: cur.metadata.resourceVersion } });
}

beforeAll(async () => {
  ns = await freshNamespace('leader');
  // The replicas mind only this namespace (other suites' webhooks mind theirs).
  await kubeApi(adminAccess(), 'PATCH', `/api/v1/namespaces/${ns}`, { metadata: { labels: { 'esi-e2e-leader': ns } } }, { contentType: 'application/merge-patch+json' });
  leaseNs = await freshNamespace('leader-lease');
  const c = await issueServingCertificate('esi-webhook-leader');
  tls = { ...c, ca: readFileSync(c.ca, 'utf8') };
  const store = { ...fakeStore('fake', [{ key: 'k', value: 'not-a-secret' }]), metadata: { name: 'fake', namespace: ns } };
  const es = { ...externalSecret('app', 'fake', [{ secretKey: 'v1', key: 'k' }]), metadata: { name: 'app', namespace: ns } };
  // As stored (CRD defaults applied), so the offline injection below is what admission would produce.
  const stored = [
    (await kubeApi<KubeObject>(adminAccess(), 'POST', `/apis/${ESO}/namespaces/${ns}/secretstores`, store)).body,
    (await kubeApi<KubeObject>(adminAccess(), 'POST', `/apis/${ESO}/namespaces/${ns}/externalsecrets`, es)).body,
  ];
  // No kubelet: create the pods as admission would have left them (the same injector, offline).
  const eso = lookupFrom(stored);
  for (let i = 0; i < PODS; i++) {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}`, namespace: ns, labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'app' } },
      spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
    };
    const injected = injectPod(pod, { eso, namespace: ns, cluster: { nativeSidecars: true } }).pod;
    await kubeApi(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, injected);
  }
});

afterAll(async () => {
  for (const r of replicas) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
  await Promise.all(replicas.map((r) => r.exited));
});

describe('esi webhook replicas share the work through a Lease', () => {
  it('both serve admission; only the Lease holder patches; a killed leader hands over mid-resync and no pod misses the update', async () => {
    const a = await startReplica('a');
    const b = await startReplica('b');
    const ids = await until("both identities logged", async () => (a.identity() && b.identity() ? [a.identity()!, b.identity()!] : undefined), 20_000);
    const first = await until('a leader', async () => {
      const l = await lease();
      return ids.includes(l.spec.holderIdentity ?? '') ? l : undefined;
    });
    expect(first.spec.leaseDurationSeconds).toBe(8);
    const [leader, follower] = first.spec.holderIdentity === ids[0] ? [a, b] : [b, a];
    // both are ready to admit
    await until('both ready', async () => ((await metrics(a)).includes('esi_webhook_cache_synced 1') && (await metrics(b)).includes('esi_webhook_cache_synced 1') ? true : undefined));

    await setKeys(['v1', 'v2']);
    await until('every pod updated by the leader', async () => ((await configs()).every((c) => keysOf(c) === 'v1,v2') ? true : undefined));
    const lm = await metrics(leader);
    const fm = await metrics(follower);
    expect(metricSample(lm, 'esi_controller_leader')).toBe(1);
    expect(metricSample(fm, 'esi_controller_leader')).toBe(0);
    expect(metricSample(lm, 'esi_pod_config_updates_total{result="updated"}')).toBeGreaterThanOrEqual(PODS);
    expect(metricSample(fm, 'esi_pod_config_updates_total{result="updated"}')).toBe(0);
    // A config-only change needs no pod restart: nothing warns about spec drift (apiserver defaults are not drift).
    expect(readFileSync(leader.log, 'utf8')).not.toContain('needs pod spec changes');

    // At 10 writes/s the next resync takes ~6 s: kill the leader after its first updates.
    await setKeys(['v1', 'v2', 'v3']);
    await until('the resync under way', async () => {
      const n = (await configs()).filter((c) => keysOf(c) === 'v1,v2,v3').length;
      return n > 0 && n < PODS ? n : undefined;
    }, 30_000);
    leader.proc.kill('SIGKILL');
    await leader.exited;
    const taken = await until('the follower holds the Lease', async () => {
      const l = await lease();
      return l.spec.holderIdentity === follower.identity() ? l : undefined;
    }, 40_000);
    expect(taken.spec.leaseTransitions).toBe((first.spec.leaseTransitions ?? 0) + 1);
    await until('every pod updated after the handover', async () => ((await configs()).every((c) => keysOf(c) === 'v1,v2,v3') ? true : undefined), 60_000);
    expect(metricSample(await metrics(follower), 'esi_pod_config_updates_total{result="updated"}')).toBeGreaterThan(0);

    // SIGTERM: the leader finishes its writes and releases the Lease (empty holder) before it exits.
    follower.proc.kill('SIGTERM');
    expect(await follower.exited).toBe(0);
    expect((await lease()).spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });
});
