#!/usr/bin/env node
// esi at cluster scale (issue 16), by simulation on 127.0.0.1: a real kube-apiserver + etcd and moto from
// the e2e cache (`npm run e2e:prepare`), two `esi webhook` processes (the built CLI: `npm run bench` builds
// first), injected pods created directly (no kubelet), agents run in-process. Bounded: every wait has a
// deadline. Sizes can be lowered for a quick look:
//   node bench/scale.mjs [--pods 10000] [--namespaces 200] [--external-secrets 2000] [--agents 500] [--refresh 30]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { componentPaths } from '../test/harness/components.mjs';
import { importBenchDriver, startMoto } from './lib.mjs';

// The pinned AWS SDK warns on Node 20 about its future releases; keep it out of the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '10000' },
    namespaces: { type: 'string', default: '200' },
    'external-secrets': { type: 'string', default: '2000' },
    agents: { type: 'string', default: '500' },
    refresh: { type: 'string', default: '30' },
    'admission-rate': { type: 'string', default: '200' },
  },
});
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'esi-bench-scale-'));
const { runScaleBench } = await importBenchDriver(root, work, 'bench/scale-run.ts');
const bins = componentPaths();
let moto;
const t0 = Date.now();
const log = (line) => console.log(`[scale +${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
let ok = false;
try {
  const r = await runScaleBench({
    root,
    work,
    etcdBin: bins.etcd.path,
    apiserverBin: bins.kubeApiserver.path,
    motoUrl: async () => (moto ??= await startMoto(work)).url,
    pods: Number(values.pods),
    namespaces: Number(values.namespaces),
    externalSecrets: Number(values['external-secrets']),
    admissionRate: Number(values['admission-rate']),
    agents: Number(values.agents),
    refreshSeconds: Number(values.refresh),
    log,
  });
  console.log(JSON.stringify({ bench: 'scale', ...r, backend: { ...r.backend, perSecond: r.backend.perSecond.join(' ') } }));
  console.log(`scale: load average (1 min) ${r.load.resync} during the resync, ${r.load.failover} at the failover, ${r.load.end} at the end`);
  console.log(
    `scale: ${r.pods} pods, resync ${r.resyncS.toFixed(1)} s, webhook ${r.perK.toFixed(2)} MiB/1k pods, admission p99 ${r.p99.toFixed(1)} ms during resync, failover ${r.failoverS.toFixed(1)} s, lost ${r.lost}, backend peak/mean ${r.backend.ratio.toFixed(2)}`,
  );
  ok = r.lost === 0;
} finally {
  if (moto) {
    moto.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    if (moto.proc.exitCode === null) moto.proc.kill('SIGKILL');
  }
  if (ok) rmSync(work, { recursive: true, force: true });
  else console.error(`scale bench: logs kept in ${work}/logs`);
}
process.exitCode = ok ? 0 : 1;
