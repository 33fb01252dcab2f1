// `esi webhook` against its Go peer, amazon-eks-pod-identity-webhook (v0.6.17), and against a bare Node
// HTTPS server that answers /mutate with a fixed response: POST /mutate latency over TLS with keep-alive
// connections (as the apiserver calls webhooks) at a fixed 50 and 500 requests/s (open loop) and at
// saturation (closed loop). Every server gets the same AdmissionReview, the same certificate and the
// same client; each server has real work to do (esi: an agent sidecar and volumes; the Go webhook: AWS
// env, a projected token volume and mounts in both containers).
//
// The Go webhook listens on all interfaces (no bind-address flag), so bench/peers/run.mjs runs this file
// in a network namespace of its own (`unshare -n`) where loopback is the only interface.
import { spawn, fork } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { build } from 'esbuild';
import { freePort } from '../lib.mjs';

const ROLE_ARN = 'arn:aws:iam::111122223333:role/web';

/**
 * One AdmissionReview for a two-container pod both webhooks mutate. `distinct`: a label only this pod has,
 * so no two requests carry the same pod (esi then never answers from its memo of a ReplicaSet's pods,
 * webhook/patch-memo.ts); otherwise every pod is the same, as a rollout's are.
 */
function review(i, distinct = false) {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${i}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bench',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'web-', namespace: 'bench', labels: { app: 'web', 'esi.dev/inject': 'true', ...(distinct ? { 'bench.esi.dev/pod': String(i) } : {}) }, annotations: { 'esi.dev/external-secrets': 'db,api,tls', 'esi.dev/refresh-interval': '5m' } },
        spec: {
          serviceAccountName: 'web',
          containers: [
            { name: 'app', image: 'example/app:1', ports: [{ containerPort: 8080 }], env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'PORT', value: '8080' }], resources: { requests: { cpu: '100m', memory: '128Mi' } } },
            { name: 'proxy', image: 'example/proxy:1', args: ['--upstream', '127.0.0.1:8080'] },
          ],
          volumes: [{ name: 'cache', emptyDir: {} }],
        },
      },
    },
  });
}

/**
 * The slice of the Kubernetes API the Go webhook's ServiceAccount informer reads: one ServiceAccount
 * carrying the role annotation, as a list, as a watch (initial events and the end-of-initial-events
 * bookmark when asked for them, then an idle stream), and by name.
 */
async function startFakeApiserver() {
  const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'bench', uid: 'sa-web', resourceVersion: '10', annotations: { 'eks.amazonaws.com/role-arn': ROLE_ARN } } };
  const watches = new Set();
  const server = createHttpServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const json = (code, body) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/api/v1/serviceaccounts' && u.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      if (u.searchParams.get('sendInitialEvents') === 'true') {
        res.write(`${JSON.stringify({ type: 'ADDED', object: sa })}\n`);
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { resourceVersion: '10', annotations: { 'k8s.io/initial-events-end': 'true' } } } })}\n`);
      }
      watches.add(res);
      res.on('close', () => watches.delete(res));
      return;
    }
    if (u.pathname === '/api/v1/serviceaccounts') return json(200, { apiVersion: 'v1', kind: 'ServiceAccountList', metadata: { resourceVersion: '10' }, items: [sa] });
    if (u.pathname === '/api/v1/namespaces/bench/serviceaccounts/web') return json(200, sa);
    json(404, { apiVersion: 'v1', kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: `${u.pathname} not found` });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const w of watches) w.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** A keep-alive HTTPS client for one server; `post()` resolves with the latency in ms and the body. */
function client(port, ca, concurrency) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca });
  let seq = 0;
  const post = (distinct = false) => {
    const body = review(seq++, distinct);
    const t0 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/mutate', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
          else resolve({ ms, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  };
  return { post, close: () => agent.destroy() };
}

async function fixedRate(post, rate, seconds, distinct = false) {
  const total = Math.round(rate * seconds);
  const lat = [];
  const start = performance.now();
  const pending = [];
  let sent = 0;
  // Open loop: each tick sends whatever the schedule says is due (timers are too coarse for 2 ms gaps).
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) pending.push(post(distinct).then((r) => lat.push(r.ms)));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), requests: total };
}

async function saturation(post, concurrency, seconds) {
  const end = performance.now() + seconds * 1000;
  const lat = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) lat.push((await post()).ms);
    }),
  );
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), requests: lat.length, perSecond: lat.length / seconds };
}

/** The patch a server answered with, decoded (base64 JSONPatch), or [] for none. */
function patchOf(text) {
  const r = JSON.parse(text).response;
  return r?.patch ? JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8')) : [];
}

/**
 * @param {{ work: string, node: string, goWebhook: string, seconds: number, reps: number, concurrency: number, log: (s: string) => void, children: Set<import('node:child_process').ChildProcess> }} o
 */
export async function measureWebhooks(o) {
  const { work, children } = o;
  const servers = [];
  const cleanups = [];
  try {
    // esi: the real server and admission path (bench/admission-server.ts), in its own process.
    const entry = join(work, 'esi-admission-server.mjs');
    await build({
      entryPoints: [new URL('../admission-server.ts', import.meta.url).pathname],
      outfile: entry,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'error',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    // its log (a line per admission, as in production) goes to a file, like the Go webhook's below
    const esiLog = openSync(join(work, 'esi-webhook.log'), 'w');
    const esi = fork(entry, [], { execPath: o.node, stdio: ['ignore', 'inherit', esiLog, 'ipc'] });
    closeSync(esiLog);
    children.add(esi);
    const tls = await new Promise((resolve, reject) => {
      esi.once('message', resolve);
      esi.once('exit', (code) => reject(new Error(`esi admission server exited ${code}; its log: ${join(work, 'esi-webhook.log')}`)));
    });
    cleanups.push(() => new Promise((r) => (esi.once('exit', r), esi.send('stop'))));
    servers.push({ id: 'esi', port: tls.port });
    const certFile = join(work, 'tls.crt');
    const keyFile = join(work, 'tls.key');
    writeFileSync(certFile, tls.cert);
    writeFileSync(keyFile, tls.key, { mode: 0o600 });

    // The Go peer, reading its ServiceAccount from a fake apiserver; request logging at its default level.
    const api = await startFakeApiserver();
    cleanups.push(api.close);
    const goPort = await freePort();
    const metricsPort = await freePort();
    const goLog = join(work, 'pod-identity-webhook.log');
    const fd = openSync(goLog, 'w');
    const go = spawn(o.goWebhook, ['--in-cluster=false', `--kube-api=${api.url}`, `--port=${goPort}`, `--metrics-port=${metricsPort}`, `--tls-cert=${certFile}`, `--tls-key=${keyFile}`, '--logtostderr'], { stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work } });
    closeSync(fd);
    children.add(go);
    cleanups.push(() => (go.exitCode !== null ? undefined : new Promise((r) => (go.once('exit', r), go.kill('SIGTERM')))));
    servers.push({ id: 'go', port: goPort });

    // bare node: the same TLS and keep-alive, a fixed `allowed` answer with no patch (bench/peers/bare-https.mjs).
    const bare = fork(new URL('./bare-https.mjs', import.meta.url).pathname, [], { execPath: o.node, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(bare);
    bare.send({ cert: tls.cert, key: tls.key });
    const { port: barePort } = await new Promise((resolve, reject) => {
      bare.once('message', resolve);
      bare.once('exit', (code) => reject(new Error(`bare node https server exited ${code}`)));
    });
    cleanups.push(() => new Promise((r) => (bare.once('exit', r), bare.send('stop'))));
    servers.push({ id: 'bare-node', port: barePort });

    // Each server mutates for real before anything is measured (the Go webhook once its informer synced).
    const deadline = Date.now() + 60_000;
    for (const s of servers) {
      s.client = client(s.port, tls.ca, o.concurrency);
      for (;;) {
        const r = await s.client.post().catch((e) => ({ error: e }));
        const ops = r.text ? patchOf(r.text) : [];
        const ok = s.id === 'bare-node' ? !!r.text : s.id === 'go' ? JSON.stringify(ops).includes(ROLE_ARN) : ops.some((op) => JSON.stringify(op).includes('esi-agent'));
        if (ok) {
          s.patchOps = ops.length;
          break;
        }
        if (Date.now() > deadline || go.exitCode !== null) throw new Error(`${s.id} webhook never answered with its mutation (last: ${r.error?.message ?? r.text?.slice(0, 300)}); Go webhook log: ${goLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // warm-up: JIT and every keep-alive connection opened (TLS handshakes are not what is measured)
      for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: o.concurrency }, () => s.client.post()));
    }
    o.log(`webhooks ready (JSONPatch operations per pod: ${servers.map((s) => `${s.id} ${s.patchOps}`).join(', ')}); ${o.reps} rounds of 50 req/s, 500 req/s (the same pod, then every pod different) and saturation (${o.concurrency} in flight), ${o.seconds} s each`);

    const results = Object.fromEntries(servers.map((s) => [s.id, { r50: [], r500: [], r500distinct: [], sat: [] }]));
    for (let rep = 0; rep < o.reps; rep++) {
      for (const [phase, run] of [['r50', (p) => fixedRate(p, 50, o.seconds)], ['r500', (p) => fixedRate(p, 500, o.seconds)], ['r500distinct', (p) => fixedRate(p, 500, o.seconds, true)], ['sat', (p) => saturation(p, o.concurrency, o.seconds)]]) {
        const order = servers.map((_, j) => servers[(rep + j) % servers.length]);
        for (const s of order) results[s.id][phase].push(await run(s.client.post));
      }
    }
    return { results, patchOps: Object.fromEntries(servers.map((s) => [s.id, s.patchOps])) };
  } finally {
    for (const s of servers) s.client?.close();
    for (const c of cleanups.reverse()) await c();
  }
}
