// etcd + kube-apiserver, started the way controller-runtime's envtest does (controller-runtime pkg/internal/testing/controlplane).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertPaths } from './certs.ts';
import { kubeRaw, type KubeAccess } from './kube-http.ts';
import { freePort, spawnLogged, waitReady, type ManagedProcess } from './processes.ts';

export interface Etcd {
  proc: ManagedProcess;
  url: string;
}

export interface Apiserver {
  proc: ManagedProcess;
  url: string;
  access: KubeAccess;
  kubeconfigPath: string;
}

const baseEnv = (runDir: string): Record<string, string> => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: runDir });

export async function startEtcd(o: { bin: string; runDir: string; logDir: string; name?: string; timeoutMs?: number }): Promise<Etcd> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = join(o.runDir, 'etcd-data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const url = `http://127.0.0.1:${clientPort}`;
  const proc = await spawnLogged({
    name: o.name ?? 'etcd',
    command: o.bin,
    args: [
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
    ],
    env: baseEnv(o.runDir),
    cwd: o.runDir,
    logPath: join(o.logDir, `${o.name ?? 'etcd'}.log`),
  });
  await waitReady(proc, `GET ${url}/health`, o.timeoutMs ?? 30_000, async () => {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200;
  });
  return { proc, url };
}

export async function startApiserver(o: {
  bin: string;
  runDir: string;
  logDir: string;
  etcdUrl: string;
  certs: CertPaths;
  timeoutMs?: number;
  /** A second apiserver (the real-pod cluster's) has its own name, log, address and flags. */
  name?: string;
  address?: string;
  port?: number;
  /** For kubelets: Node authorization before RBAC, and the ServiceAccount admission plugin on (token volumes). */
  forKubelets?: boolean;
  serviceClusterIpRange?: string;
  extraArgs?: string[];
}): Promise<Apiserver> {
  const name = o.name ?? 'kube-apiserver';
  const address = o.address ?? '127.0.0.1';
  const port = o.port ?? (await freePort());
  const url = `https://${address}:${port}`;
  const c = o.certs;
  const proc = await spawnLogged({
    name,
    command: o.bin,
    args: [
      `--etcd-servers=${o.etcdUrl}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      `--secure-port=${port}`,
      `--cert-dir=${c.dir}`,
      `--tls-cert-file=${c.apiserverCert}`,
      `--tls-private-key-file=${c.apiserverKey}`,
      `--client-ca-file=${c.caCert}`,
      `--authorization-mode=${o.forKubelets ? 'Node,RBAC' : 'RBAC'}`,
      `--service-account-issuer=${url}/`,
      `--service-account-key-file=${c.saPub}`,
      `--service-account-signing-key-file=${c.saKey}`,
      `--service-cluster-ip-range=${o.serviceClusterIpRange ?? '10.0.0.0/24'}`,
      '--allow-privileged=true',
      o.forKubelets ? '--enable-admission-plugins=NodeRestriction' : '--disable-admission-plugins=ServiceAccount',
      '--endpoint-reconciler-type=none',
      ...(o.extraArgs ?? []),
    ],
    env: baseEnv(o.runDir),
    cwd: o.runDir,
    logPath: join(o.logDir, `${name}.log`),
  });
  const access: KubeAccess = { server: url, caPath: c.caCert, certPath: c.adminCert, keyPath: c.adminKey };
  const timeoutMs = o.timeoutMs ?? 90_000;
  await waitReady(proc, 'GET /readyz', timeoutMs, async () => (await kubeRaw(access, 'GET', '/readyz', undefined, { timeoutMs: 5000 })).status === 200);
  // Bootstrap RBAC roles come from a post-start hook; bindings to them need them to exist (§1.7).
  await waitReady(proc, 'bootstrap ClusterRole system:auth-delegator', timeoutMs, async () =>
    (await kubeRaw(access, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:auth-delegator')).status === 200);
  const kubeconfigPath = join(o.runDir, 'admin.kubeconfig');
  await writeFile(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'esi-e2e', cluster: { server: url, 'certificate-authority': c.caCert } }],
      users: [{ name: 'admin', user: { 'client-certificate': c.adminCert, 'client-key': c.adminKey } }],
      contexts: [{ name: 'esi-e2e', context: { cluster: 'esi-e2e', user: 'admin' } }],
      'current-context': 'esi-e2e',
    }, null, 2),
    { mode: 0o600 },
  );
  return { proc, url, access, kubeconfigPath };
}
