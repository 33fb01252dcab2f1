// esi at cluster scale, by simulation on loopback (bundled and run by bench/scale.mjs; not a test):
// a real kube-apiserver + etcd from the e2e cache holds N injected pods across namespaces (no kubelet: the
// pods are created as admission leaves them, by the same injector) and their ExternalSecrets, all using
// one ClusterSecretStore. Two `esi webhook` processes (the built CLI) share the controller by Lease.
// Measured: webhook RSS per 1,000 cached pods, ClusterSecretStore change → every pod's config updated,
// admission p99 at a fixed rate while that resync runs, failover when the leader is SIGKILLed mid-resync
// (and pods missed: must be 0), and backend calls/s from many agents (the real refresh loop) sharing one
// store against moto over one refresh interval (peak/mean).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setMaxListeners } from 'node:events';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { KubeObject, Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../contract/index.ts';
import { injectPod, lookupFrom } from '../injector/index.ts';
import { KubeClient } from '../kube/index.ts';
import { runAgent, silentLogger } from '../agent/index.ts';
import { generateCerts, issueServingCert } from '../test/harness/certs.ts';
import { startApiserver, startEtcd } from '../test/harness/controlplane.ts';
import { installCrds } from '../test/harness/crds.ts';
import { metricSample, scrapeMetrics } from '../test/harness/metrics.ts';
import { kubeClientFor } from '../test/harness/kube-http.ts';
import { freePort, stopProcess, type ManagedProcess } from '../test/harness/processes.ts';
import { startCountingProxy } from '../test/e2e/providers-counting-proxy.ts';

export interface ScaleOptions {
  root: string;
  work: string;
  etcdBin: string;
  apiserverBin: string;
  motoUrl: () => Promise<string>;
  pods: number;
  namespaces: number;
  externalSecrets: number;
  admissionRate: number;
  agents: number;
  refreshSeconds: number;
  log: (line: string) => void;
}

const ESO = 'external-secrets.io/v1';
/** The machine's 1-minute load average, beside each figure: on a shared machine it explains most of them. */
const loadAverage = () => loadavg()[0]!.toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

async function pool<T>(items: T[], concurrency: number, f: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i < items.length) await f(items[i++]!);
  }));
}

async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`scale bench: timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Replica {
  name: string;
  proc: ChildProcess;
  port: number;
  exited: Promise<void>;
}

export async function runScaleBench(o: ScaleOptions) {
  const { log } = o;
  const procs: ManagedProcess[] = [];
  const replicas: Replica[] = [];
  const pki = join(o.work, 'pki');
  const logs = join(o.work, 'logs');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  mkdirSync(logs, { recursive: true });
  try {
    // --- control plane
    const certs = await generateCerts(pki);
    const etcd = await startEtcd({ bin: o.etcdBin, runDir: o.work, logDir: logs });
    procs.push(etcd.proc);
    const api = await startApiserver({ bin: o.apiserverBin, runDir: o.work, logDir: logs, etcdUrl: etcd.url, certs });
    procs.push(api.proc);
    await installCrds(api.access, join(o.root, 'deploy', 'crds'));
    const kube: KubeClient = kubeClientFor(api.access);
    log(`control plane up (${api.url})`);

    // --- ESO objects: one ClusterSecretStore, ExternalSecrets spread over the namespaces
    const namespaces = Array.from({ length: o.namespaces }, (_, i) => `scale-${i}`);
    await pool([...namespaces, 'esi-system'], 16, async (name) => {
      await kube.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    });
    const css = await kube.request<KubeObject>('POST', `/apis/${ESO}/clustersecretstores`, {
      apiVersion: ESO,
      kind: 'ClusterSecretStore',
      metadata: { name: 'shared' },
      spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1' } } },
    });
    const perNs = Math.ceil(o.externalSecrets / o.namespaces);
    const esList: { ns: string; name: string }[] = [];
    for (let i = 0; i < o.externalSecrets; i++) esList.push({ ns: namespaces[i % o.namespaces]!, name: `es-${Math.floor(i / o.namespaces)}` });
    const stored: KubeObject[] = [css];
    await pool(esList, 24, async ({ ns, name }) => {
      stored.push(
        await kube.request<KubeObject>('POST', `/apis/${ESO}/namespaces/${ns}/externalsecrets`, {
          apiVersion: ESO,
          kind: 'ExternalSecret',
          metadata: { name, namespace: ns },
          spec: {
            secretStoreRef: { kind: 'ClusterSecretStore', name: 'shared' },
            refreshInterval: '1h',
            data: [{ secretKey: 'password', remoteRef: { key: `${ns}/${name}`, property: 'password' } }, { secretKey: 'user', remoteRef: { key: `${ns}/${name}`, property: 'user' } }],
          },
        }),
      );
    });
    log(`${o.namespaces} namespaces, ${esList.length} ExternalSecrets`);

    // --- two webhook replicas (the built CLI), leader election in esi-system
    const serving = await issueServingCert(pki, 'webhook'); // SANs: localhost, 127.0.0.1
    const ca = readFileSync(certs.caCert);
    const esi = join(o.root, 'dist', 'esi.mjs');
    const startReplica = async (name: string): Promise<Replica> => {
      const port = await freePort();
      const out = createWriteStream(join(logs, `esi-webhook-${name}.log`));
      const proc = spawn(
        process.execPath,
        [esi, 'webhook', '--kubeconfig', api.kubeconfigPath, '--tls-cert', serving.cert, '--tls-key', serving.key, '--port', String(port), '--native-sidecars', 'true', '--leader-election-namespace', 'esi-system'],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: o.work } },
      );
      proc.stdout!.pipe(out);
      proc.stderr!.pipe(out);
      const r = { name, proc, port, exited: new Promise<void>((res) => proc.once('exit', () => res())) };
      replicas.push(r);
      return r;
    };
    const tlsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, ca });
    const metric = async (r: Replica, name: string) => metricSample(await scrapeMetrics(r.port, { agent: tlsAgent, timeoutMs: 5000 }), name);
    const a = await startReplica('a');
    const b = await startReplica('b');
    await until('both replicas synced', 60_000, async () => ((await metric(a, 'esi_webhook_cache_synced')) === 1 && (await metric(b, 'esi_webhook_cache_synced')) === 1 ? true : undefined));
    const leaderOf = async () => {
      for (const r of replicas) if (r.proc.exitCode === null && (await metric(r, 'esi_controller_leader')) === 1) return r;
      return undefined;
    };
    await until('a leader', 30_000, leaderOf);
    await sleep(3000);
    const rssBase = Math.max(rssMiB(a.proc.pid!), rssMiB(b.proc.pid!));
    log(`webhooks synced without pods: RSS ${rssMiB(a.proc.pid!).toFixed(1)} / ${rssMiB(b.proc.pid!).toFixed(1)} MiB`);

    // --- pods, as admission leaves them (the same injector over the objects as stored)
    const eso = lookupFrom(stored);
    const t0 = performance.now();
    const podNames = Array.from({ length: o.pods }, (_, i) => ({ ns: namespaces[i % o.namespaces]!, i }));
    let created = 0;
    await pool(podNames, 32, async ({ ns, i }) => {
      const es = `es-${Math.floor(i / o.namespaces) % perNs}`;
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `app-${i}`, namespace: ns, labels: { app: 'web', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': es } },
        spec: {
          serviceAccountName: 'default',
          containers: [{ name: 'app', image: 'example/app:1', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '10m', memory: '32Mi' } } }],
        },
      };
      const injected = injectPod(pod, { eso, namespace: ns, cluster: { nativeSidecars: true } }).pod;
      await kube.request('POST', `/api/v1/namespaces/${ns}/pods`, injected);
      if (++created % 2000 === 0) log(`  ${created} pods created (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    });
    const createS = (performance.now() - t0) / 1000;
    log(`${o.pods} pods created in ${createS.toFixed(1)} s (${(o.pods / createS).toFixed(0)}/s, 32 concurrent)`);
    await until('every pod cached by both replicas', 300_000, async () =>
      (await metric(a, 'esi_controller_cached_pods')) >= o.pods && (await metric(b, 'esi_controller_cached_pods')) >= o.pods ? true : undefined,
    );
    let leader = (await leaderOf())!;
    // the leader checks new pods once: wait for it to go quiet before measuring
    await until('the leader idle', 300_000, async () => {
      const before = await metric(leader, 'esi_pod_config_updates_total{result="unchanged"}');
      await sleep(1000);
      return (await metric(leader, 'esi_pod_config_updates_total{result="unchanged"}')) === before ? true : undefined;
    });
    await sleep(2000);
    const rssA = rssMiB(a.proc.pid!);
    const rssB = rssMiB(b.proc.pid!);
    const rssPods = Math.max(rssA, rssB);
    const perK = (rssPods - rssBase) / (o.pods / 1000);
    log(`webhooks with ${o.pods} pods cached: RSS ${rssA.toFixed(1)} / ${rssB.toFixed(1)} MiB → ${perK.toFixed(2)} MiB per 1,000 pods`);

    // --- resync: a ClusterSecretStore change reaches every pod; admission load on the leader meanwhile
    const setRegion = async (region: string) => {
      const cur = await kube.request<KubeObject>('GET', `/apis/${ESO}/clustersecretstores/shared`);
      await kube.request('PUT', `/apis/${ESO}/clustersecretstores/shared`, { ...cur, spec: { provider: { aws: { service: 'SecretsManager', region } } } });
    };
    const updated = (r: Replica) => metric(r, 'esi_pod_config_updates_total{result="updated"}');
    const review = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'bench',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: namespaces[0],
        operation: 'CREATE',
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-', namespace: namespaces[0], labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'es-0' } }, spec: { containers: [{ name: 'app', image: 'example/app:1' }] } },
      },
    });
    const admissionAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32, ca });
    const post = (port: number) =>
      new Promise<number>((res, rej) => {
        const t = performance.now();
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/mutate', method: 'POST', agent: admissionAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(review) } }, (resp) => {
          let n = 0;
          resp.on('data', (c: Buffer) => (n += c.length));
          resp.on('end', () => (resp.statusCode === 200 && n > 0 ? res(performance.now() - t) : rej(new Error(`HTTP ${resp.statusCode}`))));
        });
        req.on('error', rej);
        req.end(review);
      });
    for (let i = 0; i < 50; i++) await post(leader.port); // warm-up: JIT, keep-alive connections
    for (let i = 0; i < 20; i++) await post(replicas.find((r) => r !== leader)!.port);
    const admissionLoad = (port: number, stop: { done: boolean }, rate = o.admissionRate) => {
      const lat: number[] = [];
      let errors = 0;
      const run = (async () => {
        const start = performance.now();
        const pending: Promise<void>[] = [];
        let sent = 0;
        while (!stop.done) {
          const due = Math.floor(((performance.now() - start) * rate) / 1000) + 1;
          for (; sent < due; sent++) pending.push(post(port).then((ms) => void lat.push(ms), () => void errors++));
          await sleep(2);
        }
        await Promise.all(pending);
      })();
      return { lat, errors: () => errors, run };
    };

    // The same load with the controller idle: on a shared machine most of the latency is the machine's.
    const idleStop = { done: false };
    const idleLoad = admissionLoad(leader.port, idleStop);
    await sleep(10_000);
    idleStop.done = true;
    await idleLoad.run;
    const idleLat = idleLoad.lat.sort((x, y) => x - y);
    const p99Idle = pct(idleLat, 99);
    log(`admission with the controller idle (load average ${loadAverage()}): ${idleLat.length} requests at ${o.admissionRate}/s, p50 ${pct(idleLat, 50).toFixed(2)} ms, p99 ${p99Idle.toFixed(2)} ms`);
    const before = await updated(leader);
    const loadAtResync = loadAverage();
    // A control: admission on the other replica, which runs no controller but takes the same watch events.
    const followerStop = { done: false };
    const followerProbe = admissionLoad(replicas.find((r) => r !== leader)!.port, followerStop, 50);
    const cpu = (r: Replica) => metric(r, 'esi_webhook_process_cpu_seconds_total');
    const cpuBefore = await cpu(leader);
    const stop = { done: false };
    const load = admissionLoad(leader.port, stop);
    const tChange = performance.now();
    await setRegion('eu-west-1');
    await until('every pod updated', 600_000, async () => ((await updated(leader)) - before >= o.pods ? true : undefined), 200);
    const resyncS = (performance.now() - tChange) / 1000;
    stop.done = true;
    followerStop.done = true;
    await load.run;
    await followerProbe.run;
    const followerLat = followerProbe.lat.sort((x, y) => x - y);
    const lat = load.lat.sort((x, y) => x - y);
    const p99 = pct(lat, 99);
    const loadAfterResync = loadAverage();
    const leaderCpuS = (await cpu(leader)) - cpuBefore;
    log(`resync (load average ${loadAtResync} → ${loadAfterResync}): ${o.pods} pods updated in ${resyncS.toFixed(1)} s (${(o.pods / resyncS).toFixed(0)}/s); admission during it: ${lat.length} requests at ${o.admissionRate}/s, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${lat[lat.length - 1]!.toFixed(1)} ms, errors ${load.errors()}; the leader's CPU meanwhile ${leaderCpuS.toFixed(1)} s (admission included); control: the follower at 50/s, p50 ${pct(followerLat, 50).toFixed(2)} ms, p99 ${pct(followerLat, 99).toFixed(2)} ms`);

    // --- failover: SIGKILL the leader a third of the way through the next resync
    const follower = replicas.find((r) => r !== leader)!;
    const followerBefore = await updated(follower);
    const leaderBefore = await updated(leader);
    await setRegion('us-west-2');
    await until('a third of the pods updated', 600_000, async () => ((await updated(leader)) - leaderBefore >= o.pods / 3 ? true : undefined), 100);
    const leaderAtKill = await updated(leader);
    const loadAtKill = loadAverage();
    leader.proc.kill('SIGKILL');
    const tKill = performance.now();
    await leader.exited;
    await until('the follower updating pods', 60_000, async () => ((await updated(follower)) > followerBefore ? true : undefined), 100);
    const failoverS = (performance.now() - tKill) / 1000;
    const checked = async () => (await updated(follower)) + (await metric(follower, 'esi_pod_config_updates_total{result="unchanged"}'));
    const checkedBefore = followerBefore + 0;
    await until('the new leader through every pod', 600_000, async () => ((await checked()) - checkedBefore >= o.pods ? true : undefined), 250);
    // Every pod, as the apiserver has it: how many missed the change?
    let lost = 0;
    let seen = 0;
    let cont = '';
    do {
      const page = await kube.request<{ metadata: { continue?: string }; items: Pod[] }>('GET', `/api/v1/pods?labelSelector=esi.dev%2Finject%3Dtrue&limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      for (const p of page.items) {
        seen++;
        const cfg = JSON.parse(p.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
        if (cfg.stores['ClusterSecretStore/shared']?.spec.provider.aws?.region !== 'us-west-2') lost++;
      }
      cont = page.metadata.continue ?? '';
    } while (cont);
    // Writes of that resync by both: above the pod count only by the leader's writes in flight at the kill.
    const rewritten = leaderAtKill - leaderBefore + (await updated(follower)) - followerBefore - o.pods;
    log(`failover (load average ${loadAtKill}): leader SIGKILLed after ${leaderAtKill - leaderBefore} updates; the other replica updated pods ${failoverS.toFixed(1)} s later; ${seen} pods checked, ${lost} missed the change; written twice: ${Math.max(0, rewritten)}`);
    admissionAgent.destroy();
    tlsAgent.destroy();
    for (const r of replicas) if (r.proc.exitCode === null) r.proc.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.exited));
    for (const p of [...procs].reverse()) await stopProcess(p);
    procs.length = 0;

    // --- backend: agents sharing one store, started together (a rollout), over one refresh interval
    const backend = await backendSpread(o);
    log(`backend: ${o.agents} agents, refresh ${o.refreshSeconds} s: first syncs ${backend.firstSyncCalls} calls in ${backend.firstSyncSeconds} s; next interval ${backend.calls} calls, mean ${backend.mean.toFixed(1)}/s, peak ${backend.peak}/s → peak/mean ${backend.ratio.toFixed(2)}`);

    const loadAtEnd = loadAverage();
    return { pods: o.pods, createS, rssBase, rssPods, perK, resyncS, p99, p99Idle, p99Follower: pct(followerLat, 99), admissionRequests: lat.length, failoverS, lost, seen, rewritten: Math.max(0, rewritten), backend, load: { resync: `${loadAtResync} → ${loadAfterResync}`, failover: loadAtKill, end: loadAtEnd } };
  } finally {
    for (const r of replicas) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    for (const p of [...procs].reverse()) await stopProcess(p).catch(() => undefined);
  }
}

/** Agents (the real refresh loop and AWS provider) against moto behind a counting proxy; calls per second. */
async function backendSpread(o: ScaleOptions) {
  const motoUrl = await o.motoUrl();
  const region = 'us-east-1';
  const seed = new SecretsManagerClient({ region, endpoint: motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await seed.send(new CreateSecretCommand({ Name: 'shared/app', SecretString: JSON.stringify({ user: 'app', password: 'not-a-secret' }) }));
  seed.destroy();
  const proxy = await startCountingProxy(motoUrl);
  const store = { apiVersion: ESO, kind: 'SecretStore', metadata: { name: 'shared', namespace: 'bench' }, spec: { provider: { aws: { service: 'SecretsManager', region } } } };
  const es = {
    apiVersion: ESO,
    kind: 'ExternalSecret',
    metadata: { name: 'app', namespace: 'bench' },
    spec: { secretStoreRef: { name: 'shared' }, refreshInterval: `${o.refreshSeconds}s`, data: [{ secretKey: 'password', remoteRef: { key: 'shared/app', property: 'password' } }, { secretKey: 'user', remoteRef: { key: 'shared/app', property: 'user' } }] },
  };
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: 'bench', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'app' } }, spec: { containers: [{ name: 'app', image: 'x' }] } };
  const config = injectPod(pod, { eso: lookupFrom([store, es] as KubeObject[]), namespace: 'bench' }).plan!.agentConfig;
  const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: region, AWS_ENDPOINT_URL: proxy.url, AWS_EC2_METADATA_DISABLED: 'true', HOME: '/nonexistent' };
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one signal for every agent
  const start = performance.now();
  const runs = Array.from({ length: o.agents }, (_, i) =>
    runAgent({ config: { ...config, mountPath: `/agent-${i}` }, root: join(o.work, 'agents'), mode: 'sidecar', env, signal: stop.signal, logger: silentLogger, health: false, kube: null, hooks: {} }).catch(() => 1),
  );
  const I = o.refreshSeconds;
  // The rollout's first syncs end when every agent has called once (on a busy machine 500 agents take a
  // while to start); their first refreshes then spread over the next interval, and the interval after
  // that is the steady state measured here.
  const sm = () => proxy.calls.filter((c) => c.service === 'secretsmanager');
  await until('the agents\' first syncs', 2 * I * 1000, async () => (sm().length >= o.agents ? true : undefined), 100);
  const firstSyncsEnd = Math.ceil((Math.max(...sm().slice(0, o.agents).map((c) => c.at)) - start) / 1000);
  await sleep(Math.max(0, start + (firstSyncsEnd + 2 * I + 1) * 1000 - performance.now()));
  stop.abort();
  await Promise.all(runs);
  await proxy.close();
  // Calls binned by arrival time (a timer ticking each second drifts when 500 agents share this process).
  const seconds = firstSyncsEnd + 2 * I;
  const perSecond = new Array<number>(seconds).fill(0);
  for (const c of proxy.calls) {
    const s = Math.floor((c.at - start) / 1000);
    if (c.service === 'secretsmanager' && s >= 0 && s < seconds) perSecond[s]! += 1;
  }
  // seconds [0, end): the rollout's first syncs; then one interval of first refreshes; then the one measured
  const first = perSecond.slice(0, firstSyncsEnd);
  const next = perSecond.slice(firstSyncsEnd + I, seconds);
  const calls = next.reduce((x, y) => x + y, 0);
  const mean = calls / next.length;
  const peak = Math.max(...next);
  let firstSyncSeconds = 0;
  for (let s = 0, acc = 0; s < first.length && acc < o.agents; s++) (acc += first[s]!), (firstSyncSeconds = s + 1);
  return { firstSyncCalls: first.reduce((x, y) => x + y, 0), firstSyncSeconds, calls, mean, peak, ratio: peak / mean, perSecond };
}
