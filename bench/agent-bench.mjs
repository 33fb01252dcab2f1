#!/usr/bin/env node
// The agent as a process, against a local moto (AWS Secrets Manager) and an OpenBao dev server (KV v2),
// both from the e2e cache (`npm run e2e:prepare`):
//   1. idle RSS after the first complete sync, AWS store and Vault store, as a ratio to a bare `node -e`
//      process measured in the same run (goal <= 1.3x);
//   2. time from process start (spawn) to the first complete file set (`..data` present), p50/p95 over
//      BENCH_RUNS (default 25) runs per store (goal p95 <= 300 ms).
// The agent is bundled from agent/main.ts with esbuild, minified, code-split like the image (BENCH_SPLIT=0: one file).
// A bare `node` start is timed the same way, so the agent's own share can be read off on a busy machine.
// Usage: node bench/agent-bench.mjs [--json]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { componentPaths } from '../test/harness/components.mjs';
import { freePort, startComponent as spawnComponent, startMoto as startMotoServer, waitHttp as waitHttpIn } from './lib.mjs';

const waitHttp = (url, ok, what, proc) => waitHttpIn(url, ok, what, proc, work);

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'esi-bench-agent-'));
const asJson = process.argv.includes('--json');
const runs = Number(process.env.BENCH_RUNS ?? 25);
const rssRuns = Number(process.env.BENCH_RSS_RUNS ?? 7);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000);
const children = new Set();
// Code splitting, as scripts/build.mjs bundles the image: the AWS SDK and the template engine load only
// when a store or an ExternalSecret needs them. BENCH_SPLIT=0 measures one flat bundle instead.
const SPLIT = process.env.BENCH_SPLIT !== '0';
const MINIFY = process.env.BENCH_MINIFY !== '0';
/** Node flags for the agent process (e.g. BENCH_NODE_FLAGS="--lite-mode"); the bare baseline never gets them. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

function startComponent(name, cmd, args) {
  const proc = spawnComponent(work, name, cmd, args);
  children.add(proc);
  return proc;
}

async function startMoto() {
  const moto = await startMotoServer(work);
  children.add(moto.proc);
  return moto.url;
}

async function startBao() {
  const port = await freePort();
  const proc = startComponent('openbao', componentPaths().bao.path, ['server', '-dev', '-dev-root-token-id=root', `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token']);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/v1/sys/health`, (s) => s === 200, 'openbao', proc);
  return url;
}

// Same rule as providers/context.ts storeEnvName (the env var the injector fills from a secretKeyRef).
function storeEnvName(what, kind, name) {
  const k = kind === 'ClusterSecretStore' ? 'CSS' : 'SS';
  const hash = createHash('sha256').update(`${k}/${name}`).digest('hex').slice(0, 8);
  return `ESI_${what}_${k}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${hash}`;
}

function config(store, keys) {
  return {
    version: 1,
    pod: { namespace: 'bench', name: 'bench-0', serviceAccountName: 'app' },
    mountPath: '/var/run/secrets/esi',
    fileMode: 0o440,
    externalSecrets: [
      {
        dir: 'app',
        syncSecret: false,
        externalSecret: {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: 'app', namespace: 'bench' },
          spec: {
            secretStoreRef: { name: store.metadata.name, kind: 'SecretStore' },
            refreshInterval: '1h',
            target: { creationPolicy: 'Owner', deletionPolicy: 'Retain' },
            data: keys.map(([secretKey, key, property]) => ({ secretKey, remoteRef: { key, property } })),
          },
        },
      },
    ],
    stores: { [`SecretStore/${store.metadata.name}`]: store },
  };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const median = (xs) => quantile(xs, 0.5);

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** The agent as an injected pod runs it: `--config FILE` (the downward-API file), health server on. */
function spawnAgent(agentJs, c, env, rootDir, mode) {
  const mount = join(rootDir, 'mnt');
  const cfgPath = join(rootDir, 'agent-config');
  writeFileSync(cfgPath, JSON.stringify({ ...c.config, mountPath: mount }));
  const listen = mode === 'init' ? 'off' : '127.0.0.1:0';
  const proc = spawn(process.execPath, [...NODE_FLAGS, agentJs, '--config', cfgPath, '--mode', mode, '--listen', listen], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, ESI_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return { proc, stderr: () => err, dataLink: join(mount, 'app', '..data') };
}

async function waitFile(path, proc, stderr) {
  for (;;) {
    if (existsSync(path)) return;
    if (proc.exitCode !== null && !existsSync(path)) throw new Error(`agent exited ${proc.exitCode} before its first sync: ${stderr().trim().split('\n').pop()}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function stop(proc) {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

async function main() {
  const outdir = join(work, 'dist');
  await build({
    entryPoints: { 'esi-agent': join(root, 'agent/main.ts') },
    outdir,
    bundle: true,
    splitting: SPLIT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: MINIFY,
    logLevel: 'warning',
    outExtension: { '.js': '.mjs' },
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const agentJs = join(outdir, 'esi-agent.mjs');
  const [motoUrl, baoUrl] = await Promise.all([startMoto(), startBao()]);

  // Seed: one JSON secret with two properties per backend.
  const { SecretsManagerClient, CreateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await sm.send(new CreateSecretCommand({ Name: 'bench/db', SecretString: JSON.stringify({ username: 'bench', password: 'bench-not-a-secret' }) }));
  sm.destroy();
  const r = await fetch(`${baoUrl}/v1/secret/data/bench/db`, { method: 'POST', headers: { 'X-Vault-Token': 'root' }, body: JSON.stringify({ data: { username: 'bench', password: 'bench-not-a-secret' } }) });
  if (!r.ok) throw new Error(`seeding OpenBao: HTTP ${r.status}`);

  const keys = (k) => [['username', k, 'username'], ['password', k, 'password']];
  const cases = {
    aws: {
      config: (config({ apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'aws', namespace: 'bench' }, spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1' } } } }, keys('bench/db'))),
      env: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoUrl, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'none') },
    },
    vault: {
      config: (config({ apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'bao', namespace: 'bench' }, spec: { provider: { vault: { server: baoUrl, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'bao-token', key: 'token' } } } } } }, keys('bench/db'))),
      env: { [storeEnvName('VAULT_TOKEN', 'SecretStore', 'bao')]: 'root' },
    },
  };

  const results = { runs, rssRuns, idleMs: IDLE_MS, node: process.version, bundle: { splitting: SPLIT, minify: MINIFY }, nodeFlags: NODE_FLAGS };
  // 1. Time to first complete file set (init mode: the agent also exits right after).
  for (const [name, c] of Object.entries(cases)) {
    const times = [];
    for (let i = 0; i < runs + 2; i++) {
      const rootDir = join(work, `ttf-${name}-${i}`);
      mkdirSync(rootDir);
      const t0 = process.hrtime.bigint();
      const { proc, stderr, dataLink } = spawnAgent(agentJs, c, c.env, rootDir, 'init');
      await waitFile(dataLink, proc, stderr);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      if (proc.exitCode !== 0) throw new Error(`agent (${name}) exited ${proc.exitCode}: ${stderr()}`);
      if (i >= 2) times.push(ms); // two warm-up runs (page cache)
    }
    results[`firstSync_${name}`] = { p50: +median(times).toFixed(1), p95: +quantile(times, 0.95).toFixed(1), min: +Math.min(...times).toFixed(1), max: +Math.max(...times).toFixed(1) };
  }
  // Reference: a bare node process writing one file, timed the same way (machine load shows here).
  {
    const times = [];
    for (let i = 0; i < runs + 2; i++) {
      const f = join(work, `bare-${i}`);
      const t0 = process.hrtime.bigint();
      const p = spawn(process.execPath, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(f)}, 'x')`], { stdio: 'ignore' });
      await waitFile(f, p, () => '');
      if (i >= 2) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
    }
    results.firstFile_bareNode = { p50: +median(times).toFixed(1), p95: +quantile(times, 0.95).toFixed(1) };
  }
  // 2. Idle RSS after the first sync vs a bare node process, interleaved in the same run.
  const bare = [];
  const rss = { aws: [], vault: [] };
  for (let i = 0; i < rssRuns; i++) {
    const b = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    children.add(b);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    bare.push(rssKiB(b.pid));
    await stop(b);
    for (const [name, c] of Object.entries(cases)) {
      const rootDir = join(work, `rss-${name}-${i}`);
      mkdirSync(rootDir);
      const { proc, stderr, dataLink } = spawnAgent(agentJs, c, c.env, rootDir, 'sidecar');
      await waitFile(dataLink, proc, stderr);
      await new Promise((r) => setTimeout(r, IDLE_MS));
      rss[name].push(rssKiB(proc.pid));
      await stop(proc);
    }
  }
  const mib = (k) => +(k / 1024).toFixed(1);
  results.rssBareNodeMiB = mib(median(bare));
  for (const name of ['aws', 'vault']) {
    results[`rss_${name}_MiB`] = mib(median(rss[name]));
    results[`rss_${name}_ratio`] = +(median(rss[name]) / median(bare)).toFixed(2);
  }
  if (asJson) console.log(JSON.stringify({ bench: 'agent', results }));
  else {
    console.log(`agent benchmarks (node ${process.version}${NODE_FLAGS.length ? ` ${NODE_FLAGS.join(' ')}` : ''}; ${runs} runs for time to first sync, ${rssRuns} for RSS, idle ${IDLE_MS} ms)`);
    console.log(`  bare  node -e writing one file: p50 ${results.firstFile_bareNode.p50} ms, p95 ${results.firstFile_bareNode.p95} ms (reference for machine load)`);
    for (const name of ['aws', 'vault']) {
      const t = results[`firstSync_${name}`];
      console.log(`  ${name.padEnd(5)} time to first complete file set: p50 ${t.p50} ms, p95 ${t.p95} ms (min ${t.min}, max ${t.max})`);
      console.log(`  ${name.padEnd(5)} idle RSS after first sync: ${results[`rss_${name}_MiB`]} MiB = ${results[`rss_${name}_ratio`]}x bare node (${results.rssBareNodeMiB} MiB)`);
    }
  }
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  rmSync(work, { recursive: true, force: true });
}
