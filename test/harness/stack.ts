// Starts every shared component once per run, in order, and stops them in reverse:
// etcd → kube-apiserver → ESO CRDs → moto → OpenBao (+ config) → Pod Identity emulator / control API.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentPaths, type BinaryLocation } from './components.mjs';
import { generateCerts } from './certs.ts';
import { startApiserver, startEtcd } from './controlplane.ts';
import { installCrds } from './crds.ts';
import { startMoto } from './moto.ts';
import { configureOpenBao, startOpenBao } from './openbao.ts';
import { startPodIdentity } from './pod-identity.ts';
import { startPodCluster, type RunningPodCluster } from './pods/cluster.ts';
import { ComponentError, healthOf, stopProcess, type ManagedProcess } from './processes.ts';
import { describeHits, readSentinels, scanForSentinels } from './sentinels.ts';
import type { HarnessInfo } from './types.ts';

export const AWS_REGION = 'us-east-1';
export const AWS_ACCOUNT_ID = '123456789012';

export interface RunningHarness {
  info: HarnessInfo;
  /** Problems of components that should be running (empty when healthy). */
  health(): string[];
  /** Stops everything; throws if a component died during the run or a sentinel leaked into esi's logs. */
  stop(): Promise<void>;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function requireBinary(component: string, b: BinaryLocation): string {
  if (existsSync(b.path)) return b.path;
  throw new ComponentError(component, `binary not found at ${b.path} (from ${b.source}); run 'npm run e2e:prepare' first`);
}

export async function startHarness(log: (line: string) => void = (l) => console.log(`[e2e] ${l}`)): Promise<RunningHarness> {
  const runDir = await mkdtemp(join(tmpdir(), 'esi-e2e-'));
  await chmod(runDir, 0o700); // etcd's data dir holds every Secret of the run in plain form
  const logDir = join(runDir, 'logs');
  const certDir = join(runDir, 'pki');
  await mkdir(logDir, { mode: 0o700 });
  await mkdir(certDir, { mode: 0o700 });
  log(`run dir ${runDir} (logs in ${logDir})`);

  const procs: ManagedProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  // The real-pod cluster starts when a pod suite first asks (control API), once; stopped first.
  let pods: Promise<RunningPodCluster> | undefined;
  let podsStopProblems: string[] = [];
  const podsHealth = (): string[] => podsRunning?.health() ?? [];
  let podsRunning: RunningPodCluster | undefined;
  const health = () => [...healthOf(procs), ...podsHealth()];

  const stopAll = async () => {
    if (pods) {
      const t0 = Date.now();
      const running = await pods.catch(() => undefined);
      pods = undefined;
      podsRunning = undefined;
      if (running) {
        podsStopProblems = await running.stop();
        log(`real-pod cluster stopped in ${fmt(Date.now() - t0)}`);
      }
    }
    for (const close of closers.reverse()) await close().catch(() => undefined);
    closers.length = 0;
    for (const p of [...procs].reverse()) await stopProcess(p);
  };

  const timed = async <T>(what: string, f: () => Promise<T>, logPath?: (t: T) => string): Promise<T> => {
    const t0 = Date.now();
    const r = await f();
    log(`${what} ready in ${fmt(Date.now() - t0)}${logPath ? `; log: ${logPath(r)}` : ''}`);
    return r;
  };

  try {
    const bins = componentPaths();
    const etcdBin = requireBinary('etcd', bins.etcd);
    const kasBin = requireBinary('kube-apiserver', bins.kubeApiserver);
    const motoPython = requireBinary('moto', bins.motoPython);
    const baoBin = requireBinary('openbao', bins.bao);

    const certs = await generateCerts(certDir);
    const etcd = await timed('etcd', () => startEtcd({ bin: etcdBin, runDir, logDir }), (r) => r.proc.logPath);
    procs.push(etcd.proc);
    const api = await timed('kube-apiserver', () => startApiserver({ bin: kasBin, runDir, logDir, etcdUrl: etcd.url, certs }),
      (r) => r.proc.logPath);
    procs.push(api.proc);
    const crds = await timed(`ESO CRDs (${process.env['ESI_ESO_CRDS'] ?? 'own deploy/crds'})`, async () => {
      try {
        return await installCrds(api.access, process.env['ESI_ESO_CRDS']);
      } catch (e) {
        throw new ComponentError('ESO CRDs', (e as Error).message, api.proc.logPath);
      }
    });
    const moto = await timed('moto', () => startMoto({ python: motoPython, runDir, logDir }), (r) => r.proc.logPath);
    procs.push(moto.proc);
    const bao = await timed('openbao', async () => {
      const b = await startOpenBao({ bin: baoBin, runDir, logDir });
      procs.push(b.proc);
      await configureOpenBao(b, api.access);
      return b;
    }, (r) => r.proc.logPath);
    const controlToken = randomBytes(16).toString('hex');
    // The pod cluster forwards the emulator to its pods; it starts later, from the emulator's control API.
    let podIdentityUrl = (): string => {
      throw new Error('pod-identity emulator not started');
    };
    const podIdentity = await timed('pod-identity emulator', async () => {
      try {
        return await startPodIdentity({
          kube: api.access, moreReviewers: () => (podsRunning ? [podsRunning.access] : []),
          motoUrl: moto.url, region: AWS_REGION, controlToken, hooks: {
            health,
            podCluster: async () => {
              pods ??= timed('real-pod cluster', () => startPodCluster({
                runDir, logDir, certs, etcd: bins.etcd, kubeApiserver: bins.kubeApiserver, motoUrl: moto.url, bao,
                podIdentityUrl: podIdentityUrl(),
                crdDir: process.env['ESI_ESO_CRDS'], log,
              }));
              podsRunning = await pods;
              return podsRunning.info;
            },
          },
        });
      } catch (e) {
        throw new ComponentError('pod-identity emulator', (e as Error).message);
      }
    });
    closers.push(podIdentity.close);
    podIdentityUrl = () => podIdentity.credentialsUrl;

    const info: HarnessInfo = {
      runDir,
      logDir,
      etcdUrl: etcd.url,
      apiserverUrl: api.url,
      caPath: certs.caCert,
      caKeyPath: certs.caKey,
      adminCertPath: certs.adminCert,
      adminKeyPath: certs.adminKey,
      kubeconfigPath: api.kubeconfigPath,
      crds,
      motoUrl: moto.url,
      awsRegion: AWS_REGION,
      awsAccountId: AWS_ACCOUNT_ID,
      baoUrl: bao.url,
      baoRootToken: bao.rootToken,
      podIdentityUrl: podIdentity.credentialsUrl,
      controlUrl: podIdentity.url,
      controlToken,
      logs: Object.fromEntries(procs.map((p) => [p.name, p.logPath])),
    };

    return {
      info,
      health,
      async stop() {
        // Verdicts first: vitest gives the whole close only `teardownTimeout` (10 s by default).
        const problems = health();
        const sentinels = readSentinels(runDir);
        // Container logs of the real-pod cluster (webhook, agents, apps) count as esi's logs too.
        const hits = [...scanForSentinels(runDir, sentinels), ...scanForSentinels(join(runDir, 'pods', 'pod-logs'), sentinels, /\.log$/)];
        await stopAll();
        const failures = [
          ...problems.map((p) => `component failure during the run: ${p}`),
          ...podsStopProblems.map((p) => `real-pod cluster left something behind: ${p}`),
          ...(hits.length > 0 ? [`secret sentinel values leaked into esi logs:\n${describeHits(hits)}`] : []),
        ];
        if (failures.length > 0) {
          log(`keeping ${runDir} for inspection`);
          throw new Error(`e2e harness teardown found problems:\n${failures.join('\n')}`);
        }
        if (process.env['ESI_E2E_KEEP'] === '1') log(`ESI_E2E_KEEP=1: keeping ${runDir}`);
        else await rm(runDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stopAll();
    log(`start failed; keeping ${runDir} for inspection`);
    throw e;
  }
}
