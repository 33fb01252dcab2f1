#!/usr/bin/env node
// Admission latency of the esi webhook: POST /mutate over TLS on 127.0.0.1 (keep-alive connections,
// as the apiserver uses), at a fixed 50 and 500 requests/s (open loop, p50/p99), then closed-loop
// saturation throughput. The server runs alone in a child process; bounded in count and time.
//   node bench/admission.mjs [--seconds 5] [--concurrency 16]
import { build } from 'esbuild';
import { fork } from 'node:child_process';
import { Agent, request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '16' } } });
const seconds = Math.min(Number(values.seconds), 30);
const concurrency = Math.min(Number(values.concurrency), 64);

const dir = await mkdtemp(join(tmpdir(), 'esi-bench-admission-'));
const entry = join(dir, 'server.mjs');
await build({
  entryPoints: [new URL('./admission-server.ts', import.meta.url).pathname],
  outfile: entry,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'error',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { port, ca } = await new Promise((resolve, reject) => {
  child.once('message', resolve);
  child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
});

const review = (i) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${i}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bench',
      operation: 'CREATE',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'web-', labels: { app: 'web', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db,api,tls', 'esi.dev/refresh-interval': '5m' } },
        spec: {
          serviceAccountName: 'web',
          containers: [
            { name: 'app', image: 'example/app:1', ports: [{ containerPort: 8080 }], env: [{ name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/web' }, { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' }, { name: 'AWS_REGION', value: 'eu-west-1' }], volumeMounts: [{ name: 'aws-iam-token', mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', readOnly: true }] },
            { name: 'proxy', image: 'example/proxy:1' },
          ],
          volumes: [{ name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] } }],
        },
      },
    },
  });

const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca });
let seq = 0;
function post() {
  const body = review(seq++);
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mutate', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => (res.statusCode === 200 && n > 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function fixedRate(rate) {
  const total = Math.round(rate * seconds);
  const lat = [];
  const start = performance.now();
  const pending = [];
  let sent = 0;
  // Open loop: each tick sends whatever the schedule says is due (timers are too coarse for 2 ms gaps).
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) pending.push(post().then((ms) => lat.push(ms)));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  lat.sort((a, b) => a - b);
  return { rate, requests: total, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1] };
}

async function saturation() {
  // closed loop: `concurrency` requests in flight
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const lat = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        lat.push(await post());
        done++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { concurrency, requests: done, perSecond: done / seconds, p50: pct(lat, 50), p99: pct(lat, 99) };
}

try {
  // warm-up: JIT, and every keep-alive connection opened (TLS handshakes are not what is measured)
  for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: concurrency }, () => post()));
  const results = { node: process.version, seconds, fixed: [await fixedRate(50), await fixedRate(500)], saturation: await saturation() };
  const f = (x) => x.toFixed(2);
  for (const r of results.fixed) console.log(`admission @ ${r.rate} req/s over TLS: p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms, max ${f(r.max)} ms (${r.requests} requests)`);
  const s = results.saturation;
  console.log(`admission saturation (${s.concurrency} concurrent, server on one event loop): ${s.perSecond.toFixed(0)} req/s, p50 ${f(s.p50)} ms, p99 ${f(s.p99)} ms`);
  console.log(JSON.stringify(results));
} finally {
  agent.destroy();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}
