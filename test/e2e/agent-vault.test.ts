// The agent against OpenBao with Kubernetes auth (the pod's projected token from a real TokenRequest,
// reviewed at the test apiserver): KV v2 and KV v1 first sync and in-place rotation; ≥ 500 rotations
// with a reader hammering the files never shows a mixed set; the backend going away leaves the files
// untouched while metrics and Events say so, and the agent recovers when it returns.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { agentConfig, dataDir, fileHash, metricValue, startAgent, waitFor } from './agent-helpers.ts';
import { kubeApi, VAULT_AUDIENCE, putBaoPolicy, putBaoKubernetesRole, createServiceAccountToken, freshNamespace, harness, putBaoSecret, sentinel, sha256, writeTokenFile } from '../harness/index.ts';
import { KubeClient, kubeconfigAccess } from '../../kube/index.ts';

let ns: string;
let tokenPath: string;
const role = () => `${ns}-agent`;

beforeAll(async () => {
  ns = await freshNamespace('agent-bao');
  await putBaoPolicy(`${ns}-read`, [`path "secret/data/${ns}/*" { capabilities = ["read"] }`, `path "kv1/${ns}/*" { capabilities = ["read"] }`].join('\n'));
  await putBaoKubernetesRole(role(), { namespaces: [ns], serviceAccounts: ['app'], policies: [`${ns}-read`], audience: VAULT_AUDIENCE, ttl: '10m' });
  tokenPath = writeTokenFile(await createServiceAccountToken(ns, 'app', [VAULT_AUDIENCE], 3600), `agent-vault-token-${ns}`);
});

const vaultStore = (version: 'v1' | 'v2', server = harness().baoUrl) => ({
  name: `bao-${version}`,
  provider: { vault: { server, path: version === 'v2' ? 'secret' : 'kv1', version, auth: { kubernetes: { mountPath: 'kubernetes', role: role() } } } },
});

describe.each([2, 1] as const)('Vault Kubernetes auth, KV v%i', (kv) => {
  test('first sync writes the set; a changed secret rotates it in place', async () => {
    const path = `${ns}/kv${kv}/db`;
    const pw1 = sentinel(`agent-bao-kv${kv}-1`);
    await putBaoSecret(kv === 2 ? 'secret' : 'kv1', path, { username: 'app', password: pw1 }, kv);
    const config = agentConfig(ns, vaultStore(kv === 2 ? 'v2' : 'v1'), [
      { name: 'db', refreshInterval: '200ms', data: [{ secretKey: 'username', key: path, property: 'username' }, { secretKey: 'password', key: path, property: 'password' }] },
    ], { serviceAccountTokens: { vault: tokenPath } });
    const agent = await startAgent(`bao-kv${kv}`, { config, env: {} });
    try {
      const dir = agent.dir('db');
      await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw1), 'first sync');
      const first = await dataDir(dir);
      const pw2 = sentinel(`agent-bao-kv${kv}-2`);
      await putBaoSecret(kv === 2 ? 'secret' : 'kv1', path, { username: 'app2', password: pw2 }, kv);
      await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw2), 'rotation');
      expect(await fileHash(join(dir, 'username'))).toBe(sha256('app2'));
      expect(await dataDir(dir)).not.toBe(first);
      expect(await metricValue(agent.metrics, 'esi_agent_sync_errors_total')).toBe(0);
      // One Kubernetes login for the whole run: the session (and its token) outlives refresh rounds.
      expect(await metricValue(agent.metrics, 'esi_agent_backend_calls_total', { provider: 'vault', operation: 'login' })).toBe(1);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  });
});

test('a reader hammering the files during ≥ 500 rotations never sees a mixed set', async () => {
  const path = `${ns}/hammer`;
  // Non-secret generation markers: this test is about consistency, not secrecy.
  await putBaoSecret('secret', path, { a: 'gen-0', b: 'gen-0' });
  const config = agentConfig(ns, vaultStore('v2'), [
    { name: 'pair', refreshInterval: '1ms', data: [{ secretKey: 'a', key: path, property: 'a' }, { secretKey: 'b', key: path, property: 'b' }] },
  ], { serviceAccountTokens: { vault: tokenPath } });
  // The agent floors refresh intervals at 1 s (issue 18); this test needs rotations as fast as the backend allows.
  const agent = await startAgent('bao-hammer', { config, env: {}, minRefreshIntervalMs: 1 });
  const dir = agent.dir('pair');
  await waitFor(() => dataDir(dir), 'first sync');
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    const path = require('node:path');
    let reads = 0, mixed = 0, stop = false;
    const gens = new Set();
    parentPort.on('message', () => { stop = true; });
    const loop = () => {
      for (let i = 0; i < 100 && !stop; i++) {
        try {
          const base = path.join(workerData, fs.readlinkSync(path.join(workerData, '..data')));
          const a = fs.readFileSync(path.join(base, 'a'), 'utf8');
          const b = fs.readFileSync(path.join(base, 'b'), 'utf8');
          if (a !== b) mixed++;
          gens.add(a);
          reads++;
        } catch (e) { if (e.code !== 'ENOENT') throw e; }
      }
      if (stop) parentPort.postMessage({ reads, mixed, generations: gens.size }); else setImmediate(loop);
    };
    loop();
    `,
    { eval: true, workerData: dir },
  );
  const result = new Promise<{ reads: number; mixed: number; generations: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  try {
    let gen = 0;
    while ((await metricValue(agent.metrics, 'esi_agent_rotations_total', { external_secret: 'pair' })) < 500) {
      gen += 1;
      await putBaoSecret('secret', path, { a: `gen-${gen}`, b: `gen-${gen}` });
      await waitFor(async () => (await fileHash(join(dir, 'a'))) === sha256(`gen-${gen}`), `generation ${gen}`, 10_000);
    }
    worker.postMessage('stop');
    const r = await result;
    expect(r.mixed).toBe(0);
    expect(r.reads).toBeGreaterThan(500);
    expect(r.generations).toBeGreaterThan(50);
    expect(await metricValue(agent.metrics, 'esi_agent_rotations_total', { external_secret: 'pair' })).toBeGreaterThanOrEqual(500);
  } finally {
    await worker.terminate();
    await agent.stop();
  }
}, 300_000);

/** A TCP proxy in front of OpenBao that the test can take down and bring back on the same port. */
async function startProxy(target: URL): Promise<{ url: string; down(): Promise<void>; up(): Promise<void> }> {
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const up = async () => {
    server = createServer((c) => {
      const u = connect(Number(target.port), target.hostname);
      sockets.add(c).add(u);
      c.pipe(u).pipe(c);
      const close = () => {
        c.destroy();
        u.destroy();
      };
      c.on('error', close).on('close', close);
      u.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  };
  const down = async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((r) => server!.close(() => r()));
  };
  await up();
  return { url: `http://127.0.0.1:${port}`, down, up };
}

test('backend down: files untouched, metrics, readiness and Events say so; recovery when it returns', async () => {
  const path = `${ns}/outage`;
  const pw1 = sentinel('agent-bao-outage-1');
  await putBaoSecret('secret', path, { password: pw1 });
  const proxy = await startProxy(new URL(harness().baoUrl));
  // Events go to the real apiserver for this pod (admin kubeconfig stands in for the pod's RBAC here;
  // agent-secret.test.ts exercises the pod's own service account and its Role).
  const kube = new KubeClient(await kubeconfigAccess(harness().kubeconfigPath));
  const config = agentConfig(ns, vaultStore('v2', proxy.url), [{ name: 'db', refreshInterval: '100ms', data: [{ secretKey: 'password', key: path, property: 'password' }] }], {
    serviceAccountTokens: { vault: tokenPath },
    staleAfter: '1s',
  });
  let address = '';
  const agent = await startAgent('bao-outage', {
    config,
    env: { ESI_POD_NAME: 'outage-pod' },
    kube,
    backoff: { baseMs: 50, capMs: 200 },
    health: { host: '127.0.0.1', port: 0 },
    onListening: (a) => (address = a),
  });
  try {
    const dir = agent.dir('db');
    await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw1), 'first sync');
    const good = await dataDir(dir);
    // Readiness follows the write of the first complete set, a moment after the files appear.
    await waitFor(async () => (await fetch(`http://${address}/readyz`)).status === 200, 'ready after the first sync');
    await proxy.down();
    await waitFor(async () => (await metricValue(agent.metrics, 'esi_agent_sync_errors_total', { external_secret: 'db' })) >= 3, 'failed refreshes');
    await waitFor(async () => (await fetch(`http://${address}/readyz`)).status === 503, 'readiness failing on staleness');
    await waitFor(async () => (await metricValue(agent.metrics, 'esi_agent_stale', { external_secret: 'db' })) === 1, 'stale metric');
    expect(await dataDir(dir)).toBe(good);
    expect(await fileHash(join(dir, 'password'))).toBe(sha256(pw1));
    type EventList = { items: { reason: string; involvedObject: { name: string }; message: string }[] };
    const admin = { server: harness().apiserverUrl, caPath: harness().caPath, certPath: harness().adminCertPath, keyPath: harness().adminKeyPath };
    const events = async () => (await kubeApi<EventList>(admin, 'GET', `/api/v1/namespaces/${ns}/events`)).body.items.filter((e) => e.involvedObject.name === 'outage-pod');
    await waitFor(async () => (await events()).some((e) => e.reason === 'SecretStale'), 'SecretStale event');
    const ev = await events();
    expect(ev.some((e) => e.reason === 'SecretSyncFailed' && e.message.includes('db'))).toBe(true);
    // Recovery: the backend returns with a new value.
    const pw2 = sentinel('agent-bao-outage-2');
    await putBaoSecret('secret', path, { password: pw2 });
    await proxy.up();
    await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw2), 'recovery', 30_000);
    await waitFor(async () => (await fetch(`http://${address}/readyz`)).status === 200, 'ready again');
    expect(await metricValue(agent.metrics, 'esi_agent_stale', { external_secret: 'db' })).toBe(0);
    const log = readFileSync(agent.logPath, 'utf8');
    expect(log).toContain('sync failed; the last good files stay');
  } finally {
    await agent.stop();
    await proxy.down().catch(() => undefined);
  }
});
