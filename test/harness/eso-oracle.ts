// The real ESO controller (v0.16.2, built by `npm run e2e:prepare`) as the differential oracle of
// test/e2e/eso-oracle*.test.ts (issue 17). Test-only: nothing of it ships.
//
// It gets a control plane of its own (etcd + kube-apiserver from the harness's cache, its own PKI and
// run dir) because it needs all 20 CRDs of its own version (its GeneratorState reconciler always runs, and
// its v1 CRDs carry the defaults it was written against), while the shared apiserver holds esi's CRDs or
// ESO v2.9.0's (`ESI_ESO_CRDS`), and both sets define the same names. A private apiserver also keeps a
// cluster-wide ESO away from the ExternalSecrets of every other suite. Backends are the shared moto
// (through ESO's own endpoint variables, `pkg/provider/aws/auth/resolver.go`) and OpenBao.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { componentPaths, esoOraclePaths, VERSIONS } from './components.mjs';
import { generateCerts } from './certs.ts';
import { startApiserver, startEtcd } from './controlplane.ts';
import { installCrds } from './crds.ts';
import type { KubeAccess } from './kube-http.ts';
import { ComponentError, freePort, healthOf, spawnLogged, stopProcess, waitReady, type ManagedProcess } from './processes.ts';
import type { HarnessInfo } from './types.ts';

export interface EsoOracle {
  version: string;
  /** Admin access to the oracle's own kube-apiserver. */
  access: KubeAccess;
  kubeconfigPath: string;
  /** The controller's log (zap JSON lines). */
  logPath: string;
  /** Problems of the oracle's processes (empty when all run). */
  health(): string[];
  stop(): Promise<void>;
}

function requireFile(component: string, path: string): string {
  if (existsSync(path)) return path;
  throw new ComponentError(component, `not found at ${path}; run 'npm run e2e:prepare' first`);
}

/**
 * Starts etcd, a kube-apiserver with ESO's CRDs and the ESO controller (ExternalSecret, SecretStore,
 * ClusterSecretStore and GeneratorState reconcilers; push-secret and cluster-external-secret ones off).
 */
export async function startEsoOracle(h: HarnessInfo, log: (line: string) => void = () => undefined): Promise<EsoOracle> {
  const { controller, crdDir } = esoOraclePaths();
  const bin = requireFile(`eso-${VERSIONS.eso}`, controller.path);
  requireFile(`eso-${VERSIONS.eso} CRDs`, crdDir);
  const bins = componentPaths();
  const runDir = join(h.runDir, `eso-oracle-${randomBytes(3).toString('hex')}`);
  const logDir = join(runDir, 'logs');
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  const procs: ManagedProcess[] = [];
  const stopAll = async () => {
    for (const p of [...procs].reverse()) await stopProcess(p);
  };
  try {
    const t0 = Date.now();
    await mkdir(join(runDir, 'pki'), { mode: 0o700 });
    const certs = await generateCerts(join(runDir, 'pki'));
    const etcd = await startEtcd({ bin: bins.etcd.path, runDir, logDir });
    procs.push(etcd.proc);
    const api = await startApiserver({ bin: bins.kubeApiserver.path, runDir, logDir, etcdUrl: etcd.url, certs });
    procs.push(api.proc);
    try {
      await installCrds(api.access, crdDir, 120_000);
    } catch (e) {
      throw new ComponentError(`eso-${VERSIONS.eso} CRDs`, (e as Error).message, api.proc.logPath);
    }
    log(`ESO oracle control plane with ${VERSIONS.eso} CRDs ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const metricsPort = await freePort();
    const proc = await spawnLogged({
      name: `eso-${VERSIONS.eso}`,
      command: bin,
      args: [
        `--metrics-addr=127.0.0.1:${metricsPort}`,
        '--enable-leader-election=false',
        '--enable-push-secret-reconciler=false',
        '--enable-cluster-push-secret-reconciler=false',
        '--enable-cluster-external-secret-reconciler=false',
        '--concurrent=4',
        // The flood gate holds ExternalSecrets back while ESO's own store reconciler reports a store not
        // Ready; esi validates only its own (class esi) stores, and a store validation that loses a
        // race with a loaded machine must not turn into a sync error only one side has.
        '--enable-flood-gate=false',
        '--zap-time-encoding=iso8601',
      ],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: runDir,
        KUBECONFIG: api.kubeconfigPath,
        AWS_SECRETSMANAGER_ENDPOINT: h.motoUrl,
        AWS_STS_ENDPOINT: h.motoUrl,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: join(runDir, 'no-such-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(runDir, 'no-such-aws-credentials'),
      },
      cwd: runDir,
      logPath: join(logDir, `eso-${VERSIONS.eso}.log`),
    });
    procs.push(proc);
    await waitReady(proc, `GET /metrics on 127.0.0.1:${metricsPort}`, 60_000, async () => {
      const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
      return r.status === 200;
    });
    log(`ESO ${VERSIONS.eso} controller ready in ${((Date.now() - t0) / 1000).toFixed(1)}s; log: ${proc.logPath}`);
    return {
      version: VERSIONS.eso,
      access: api.access,
      kubeconfigPath: api.kubeconfigPath,
      logPath: proc.logPath,
      health: () => healthOf(procs),
      async stop() {
        const problems = healthOf(procs);
        await stopAll();
        if (problems.length > 0) throw new Error(`ESO oracle: ${problems.join('; ')}`);
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
