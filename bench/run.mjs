#!/usr/bin/env node
// Runs every esi benchmark in turn, each in its own process (they start their own servers on
// 127.0.0.1 and stop by themselves). Benchmarks against moto/OpenBao need the e2e cache:
// `npm run e2e:prepare` first. Figures are medians with ratios to a baseline measured in the same run.
//   npm run bench                 all of them
//   npm run bench -- peers        only the ones whose name contains "peers"
//   npm run bench -- peers --node /path/to/node22    further flags go to the benchmarks that run
import { spawnSync } from 'node:child_process';

// The pinned AWS SDK warns on Node 20 about its future releases; keep it out of the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const benches = [
  { name: 'backend-calls', file: 'bench/backend-calls.mjs', what: 'backend calls per refresh, esi vs ESO (moto)' },
  { name: 'azure-agent', file: 'bench/azure-agent.mjs', what: 'esi agent with an Azure Key Vault store (harness double) vs an AWS store (moto): first file set, idle RSS' },
  { name: 'peers', file: 'bench/peers/run.mjs', what: 'esi agent vs bao agent, esi webhook vs the Go pod-identity webhook, both vs bare node' },
  { name: 'regexp', file: 'bench/regexp.mjs', what: 'Go regexps on pathological patterns (30k-100k chars), V8 backtracking before, budget calibration' },
  { name: 'scale', file: 'bench/scale.mjs', what: '10,000 pods in a real apiserver: webhook RSS, store change → every pod, admission p99 meanwhile, leader failover, backend spread of 500 agents' },
];
const filter = process.argv[2]?.startsWith('-') ? undefined : process.argv[2];
const flags = process.argv.slice(filter ? 3 : 2);
let failed = 0;
for (const b of benches.filter((x) => !filter || x.name.includes(filter))) {
  console.log(`\n== bench ${b.name}: ${b.what}`);
  const r = spawnSync(process.execPath, [b.file, ...(b.name === 'peers' ? flags : [])], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${b.name} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exitCode = failed ? 1 : 0;
