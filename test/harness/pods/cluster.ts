// The real-pod cluster: etcd, a kube-apiserver set up for kubelets, kube-controller-manager,
// kube-scheduler, containerd v2 + runc + CNI bridge, and one kubelet — real pods on this machine, no Docker,
// no registry. It is a second control plane beside the harness's main one: the main apiserver keeps its
// ServiceAccount admission off and its flags unchanged for the admission and API suites, and this one is
// started only when a pod suite asks for it (it needs root and the machine-wide lock, host.ts).
//
// Settings this machine needs (each one was a hard failure without it; measured in the project's notes):
// - kubelet `failCgroupV1: false`: the host runs cgroup v1 and cannot switch.
// - containerd `restrict_oom_score_adj = true`: root here lacks CAP_SYS_RESOURCE, so a negative
//   oom_score_adj fails the first sandbox ("can't get final child's PID from pipe: EOF").
// - A non-loopback node IP on lo (NODE_IP): the kubelet refuses a loopback node IP, logs/exec need one,
//   and the kernel has no `dummy` link type.
// - apiserver Node,RBAC + NodeRestriction + ServiceAccount admission, a service-account signing key and
//   kubelet client certs; kube-controller-manager with every controller, the SA key and the root CA.
//
// No kube-proxy and no iptables: the service range starts at NODE_IP, so the `kubernetes` Service's
// ClusterIP *is* the node address, and the apiserver listens there on 443 — in-cluster clients reach it
// as KUBERNETES_SERVICE_HOST:443 unchanged. Webhook Services are called through their endpoints
// (`--enable-aggregator-routing`). Backends on the host's loopback are forwarded onto NODE_IP; the Pod
// Identity emulator onto EKS's own link-local address (POD_IDENTITY_IP), as the real agent listens there
// and the AWS SDK accepts plain HTTP container credentials only from it or loopback
// (@aws-sdk/credential-provider-http checkUrl). OpenBao gets a Kubernetes auth mount of this apiserver.
import { createServer, connect, type Server } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEBIAN_PACKAGES, podClusterPaths, type BinaryLocation } from '../components.mjs';
import { issueCert, type CertPaths } from '../certs.ts';
import { startApiserver, startEtcd } from '../controlplane.ts';
import { installCrds, type CrdInfo } from '../crds.ts';
import { configureKubernetesAuth } from '../openbao.ts';
import { kubeApi, kubeRaw, type KubeAccess } from '../kube-http.ts';
import { ComponentError, freePort, healthOf, spawnLogged, stopProcess, waitReady, type ManagedProcess } from '../processes.ts';
import { HostChanges, hasAddress, mountsUnder, netnsNames, pidsWithCmdline, removeCgroups, sh, takeMachineLock, unmountAll } from './host.ts';
import { writeImages, type PodImages } from './images.ts';

export const NODE_IP = '10.254.0.1';
export const NODE_NAME = 'esi-e2e-node';
/** The EKS Pod Identity agent's IPv4 address (169.254.170.23, AWS EKS user guide, "pod-id-how-it-works"). */
export const POD_IDENTITY_IP = '169.254.170.23';
/** OpenBao's Kubernetes auth mount whose TokenReviews go to this cluster's apiserver. */
export const BAO_KUBERNETES_MOUNT = 'kubernetes-pods';
const SERVICE_RANGE = '10.254.0.0/24';
const BRIDGE = 'esi-e2e0';
const POD_SUBNET = '10.89.0.0/16';

/** What pod suites get (JSON over the control API). */
export interface PodClusterInfo {
  apiserverUrl: string;
  kubeconfigPath: string;
  kubectl: string;
  nodeName: string;
  nodeIp: string;
  images: PodImages;
  /** moto and OpenBao as pods reach them (forwarded onto the node address). */
  motoUrl: string;
  baoUrl: string;
  /** OpenBao's Kubernetes auth mount for this cluster's service-account tokens. */
  baoKubernetesMount: string;
  /** The Pod Identity emulator as pods reach it: AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  podIdentityUrl: string;
  crds: CrdInfo;
  logs: Record<string, string>;
  /** Bring-up time, for the report. */
  startMs: number;
}

export interface RunningPodCluster {
  info: PodClusterInfo;
  access: KubeAccess;
  health(): string[];
  stop(): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function preflight(): void {
  if (process.getuid?.() !== 0) {
    throw new ComponentError('real-pod cluster', 'needs root (kubelet, containerd and runc manage mounts, cgroups and network namespaces)');
  }
  const missing = DEBIAN_PACKAGES.filter((p) => !existsSync(p.file));
  if (missing.length > 0) {
    throw new ComponentError('real-pod cluster', `Debian package(s) ${missing.map((p) => p.name).join(', ')} missing: run 'npm run e2e:prepare' as root (or apt-get install ${missing.map((p) => p.name).join(' ')})`);
  }
  const p = podClusterPaths();
  for (const [name, path] of Object.entries(p)) {
    if (!existsSync(path)) throw new ComponentError('real-pod cluster', `${name} not found at ${path}; run 'npm run e2e:prepare' first`);
  }
}

/** A TCP forwarder on NODE_IP:<free port> to a loopback backend, so pods reach it at the node address. */
async function forward(target: string, address = NODE_IP): Promise<{ url: string; server: Server }> {
  const t = new URL(target);
  const server = createServer((c) => {
    const up = connect(Number(t.port), t.hostname);
    c.pipe(up).pipe(c);
    const end = () => {
      c.destroy();
      up.destroy();
    };
    c.on('error', end);
    up.on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  return { url: `${t.protocol}//${address}:${(server.address() as { port: number }).port}`, server };
}

function kubeconfig(server: string, caPath: string, cert: string, key: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'esi-pods', cluster: { server, 'certificate-authority': caPath } }],
    users: [{ name: 'u', user: { 'client-certificate': cert, 'client-key': key } }],
    contexts: [{ name: 'esi-pods', context: { cluster: 'esi-pods', user: 'u' } }],
    'current-context': 'esi-pods',
  });
}

function containerdConfig(d: string, pauseImage: string, runc: string, cniBin: string): string {
  return `version = 3
root = "${d}/containerd/root"
state = "${d}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.erofs"]
[grpc]
  address = "${d}/run/containerd.sock"
[ttrpc]
  address = "${d}/run/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "${pauseImage}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "${d}/containerd/hosts"
[plugins.'io.containerd.cri.v1.runtime']
  enable_cdi = false
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "${runc}"
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["${cniBin}"]
    conf_dir = "${d}/cni/net.d"
`;
}

function kubeletConfig(d: string, pki: { caCert: string; cert: string; key: string }, healthzPort: number): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: `unix://${d}/run/containerd.sock`,
    address: NODE_IP,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort,
    tlsCertFile: pki.cert,
    tlsPrivateKeyFile: pki.key,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: pki.caCert } },
    authorization: { mode: 'Webhook' },
    podLogsDir: `${d}/pod-logs`,
    resolvConf: '/etc/resolv.conf',
    failSwapOn: false,
    serializeImagePulls: false,
    syncFrequency: '5s',
    fileCheckFrequency: '10s',
    nodeStatusUpdateFrequency: '5s',
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // The e2e pods are small; the node reports what the machine has.
    maxPods: 60,
  });
}

export async function startPodCluster(o: {
  runDir: string;
  logDir: string;
  certs: CertPaths;
  etcd: BinaryLocation;
  kubeApiserver: BinaryLocation;
  motoUrl: string;
  bao: { url: string; rootToken: string };
  /** The emulator on loopback (forwarded to POD_IDENTITY_IP for pods). */
  podIdentityUrl: string;
  crdDir: string | undefined;
  log: (line: string) => void;
}): Promise<RunningPodCluster> {
  const t0 = Date.now();
  preflight();
  const bins = podClusterPaths();
  const lock = await takeMachineLock(900, o.log);
  const host = new HostChanges();
  host.add('machine lock', async () => lock.release());
  const procs: ManagedProcess[] = [];
  const servers: Server[] = [];
  const d = join(o.runDir, 'pods');
  const logDir = o.logDir;
  const netnsBefore = netnsNames();
  let access: KubeAccess | undefined;
  let kubeconfigPath = '';

  const stopAll = async (): Promise<string[]> => {
    const problems: string[] = [];
    for (const s of servers) s.close();
    const byName = (n: string) => procs.find((p) => p.name === n);
    // Pods first, while the kubelet runs: it stops their containers and tears their sandboxes' network down.
    const kcm = byName('kube-controller-manager');
    if (kcm) await stopProcess(kcm); // no controller recreates what we delete
    if (access && byName('kubelet') && !byName('kubelet')!.exit) {
      await drainPods(access).catch((e: Error) => problems.push(`deleting pods: ${e.message}`));
    }
    for (const n of ['kube-scheduler', 'kubelet', 'pods-kube-apiserver', 'pods-etcd']) {
      const p = byName(n);
      if (p) await stopProcess(p);
    }
    const ctd = byName('containerd');
    if (ctd && !ctd.exit) {
      await removeContainers(bins.ctr, `${d}/run/containerd.sock`).catch((e: Error) => problems.push(`containers: ${e.message}`));
      await stopProcess(ctd);
    }
    // Shims outlive containerd by design; ours are the ones started with our socket address.
    for (const pid of pidsWithCmdline(`-address ${d}/run/containerd.sock`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(200);
    for (const ns of netnsNames()) {
      if (netnsBefore.has(ns) || !ns.startsWith('cni-')) continue;
      await sh('ip', ['netns', 'delete', ns]).catch((e: Error) => problems.push(`netns ${ns}: ${e.message}`));
    }
    await unmountAll(d).catch((e: Error) => problems.push(`mounts: ${e.message}`));
    problems.push(...(await host.undo()));
    return problems;
  };

  try {
    await mkdir(d, { recursive: true, mode: 0o700 });
    for (const sub of ['containerd/root', 'containerd/state', 'containerd/hosts/_default', 'run', 'cni/net.d', 'cni/ipam', 'kubelet', 'pod-logs', 'images']) {
      await mkdir(join(d, sub), { recursive: true, mode: 0o700 });
    }

    // Host-global state, each change registered with its undo before the next.
    if (!(await hasAddress(NODE_IP))) {
      await sh('ip', ['addr', 'add', `${NODE_IP}/32`, 'dev', 'lo']);
    }
    host.add(`address ${NODE_IP} on lo`, async () => {
      if (await hasAddress(NODE_IP)) await sh('ip', ['addr', 'del', `${NODE_IP}/32`, 'dev', 'lo']);
    });
    if (!(await hasAddress(POD_IDENTITY_IP))) {
      await sh('ip', ['addr', 'add', `${POD_IDENTITY_IP}/32`, 'dev', 'lo']);
    }
    host.add(`address ${POD_IDENTITY_IP} on lo`, async () => {
      if (await hasAddress(POD_IDENTITY_IP)) await sh('ip', ['addr', 'del', `${POD_IDENTITY_IP}/32`, 'dev', 'lo']);
    });
    host.add(`bridge ${BRIDGE}`, async () => {
      if ((await sh('ip', ['-o', 'link', 'show'])).includes(` ${BRIDGE}:`)) await sh('ip', ['link', 'del', BRIDGE]);
    });
    host.add('cgroups kubepods', async () => removeCgroups('kubepods'));
    host.add(`files under ${d}`, async () => {
      if (mountsUnder(d).length === 0) await rm(d, { recursive: true, force: true });
    });

    // Certificates from the run's CA, so the harness's admin certificate works here too.
    const pki = o.certs.dir;
    const apiCert = await issueCert(pki, 'pods-apiserver', '/CN=kube-apiserver',
      `subjectAltName=IP:${NODE_IP},IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
    const kubeletClient = await issueCert(pki, 'pods-kubelet-client', `/O=system:nodes/CN=system:node:${NODE_NAME}`, 'extendedKeyUsage=clientAuth\n');
    const kubeletServing = await issueCert(pki, 'pods-kubelet-serving', `/CN=${NODE_NAME}`,
      `subjectAltName=DNS:${NODE_NAME},IP:${NODE_IP}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
    const kcmCert = await issueCert(pki, 'pods-kcm', '/CN=system:kube-controller-manager', 'extendedKeyUsage=clientAuth\n');
    const schedCert = await issueCert(pki, 'pods-scheduler', '/CN=system:kube-scheduler', 'extendedKeyUsage=clientAuth\n');

    // Images first: writing them overlaps nothing else, and containerd imports them once it runs.
    const { images, archives } = await writeImages(join(d, 'images'));
    // Every registry host resolves to a closed local port: a missing image fails at once, never pulls.
    await writeFile(join(d, 'containerd/hosts/_default/hosts.toml'), 'server = "http://127.0.0.1:9"\n');
    await writeFile(join(d, 'containerd/config.toml'), containerdConfig(d, images.pause, bins.runc, bins.cniBin));
    await writeFile(join(d, 'cni/net.d/10-esi-e2e.conflist'), JSON.stringify({
      cniVersion: '1.0.0',
      name: 'esi-e2e',
      plugins: [{
        type: 'bridge', bridge: BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true,
        // Pods get two routes besides their subnet: to the node address (apiserver, forwarded backends)
        // and to the Pod Identity address. No default route and no masquerade, so nothing a pod sends
        // can leave the machine.
        ipam: { type: 'host-local', ranges: [[{ subnet: POD_SUBNET }]], routes: [{ dst: `${NODE_IP}/32` }, { dst: `${POD_IDENTITY_IP}/32` }], dataDir: join(d, 'cni/ipam') },
      }],
    }));
    const containerd = await spawnLogged({
      name: 'containerd', command: bins.containerd, args: ['--config', join(d, 'containerd/config.toml')],
      env: { PATH: `${join(bins.containerd, '..')}:/usr/sbin:/usr/bin:/sbin:/bin` }, cwd: d, logPath: join(logDir, 'containerd.log'),
    });
    procs.push(containerd);
    const ctr = (...args: string[]) => sh(bins.ctr, ['--address', `${d}/run/containerd.sock`, '--namespace', 'k8s.io', ...args], 120_000);
    await waitReady(containerd, 'ctr version', 30_000, async () => (await ctr('version'), true));
    await Promise.all(archives.map((a) => ctr('images', 'import', a)));

    const etcd = await startEtcd({ bin: o.etcd.path, runDir: d, logDir, name: 'pods-etcd' });
    procs.push(etcd.proc);
    const api = await startApiserver({
      bin: o.kubeApiserver.path, runDir: d, logDir, etcdUrl: etcd.url, name: 'pods-kube-apiserver',
      certs: { ...o.certs, apiserverCert: apiCert.cert, apiserverKey: apiCert.key },
      address: NODE_IP, port: 443, forKubelets: true, serviceClusterIpRange: SERVICE_RANGE,
      extraArgs: [
        `--kubelet-client-certificate=${o.certs.adminCert}`,
        `--kubelet-client-key=${o.certs.adminKey}`,
        `--kubelet-certificate-authority=${o.certs.caCert}`,
        '--kubelet-preferred-address-types=InternalIP',
        '--enable-aggregator-routing=true',
      ],
    });
    procs.push(api.proc);
    access = api.access;
    kubeconfigPath = api.kubeconfigPath;
    const confFor = async (name: string, c: { cert: string; key: string }) => {
      const p = join(d, `${name}.kubeconfig`);
      await writeFile(p, kubeconfig(api.url, o.certs.caCert, c.cert, c.key), { mode: 0o600 });
      return p;
    };

    const kcmConf = await confFor('kcm', kcmCert);
    procs.push(await spawnLogged({
      name: 'kube-controller-manager', command: bins.kubeControllerManager, cwd: d, env: { PATH: '/usr/bin:/bin' },
      logPath: join(logDir, 'kube-controller-manager.log'),
      args: [`--kubeconfig=${kcmConf}`, `--authentication-kubeconfig=${kcmConf}`, `--authorization-kubeconfig=${kcmConf}`,
        '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`, '--leader-elect=false', '--controllers=*',
        `--service-account-private-key-file=${o.certs.saKey}`, `--root-ca-file=${o.certs.caCert}`,
        '--use-service-account-credentials=true', '--concurrent-gc-syncs=5', '--node-monitor-grace-period=60s'],
    }));
    const schedConf = await confFor('scheduler', schedCert);
    procs.push(await spawnLogged({
      name: 'kube-scheduler', command: bins.kubeScheduler, cwd: d, env: { PATH: '/usr/bin:/bin' },
      logPath: join(logDir, 'kube-scheduler.log'),
      args: [`--kubeconfig=${schedConf}`, `--authentication-kubeconfig=${schedConf}`, `--authorization-kubeconfig=${schedConf}`,
        `--secure-port=${await freePort()}`, '--bind-address=127.0.0.1', '--leader-elect=false'],
    }));

    const kubeletConf = join(d, 'kubelet-config.json');
    await writeFile(kubeletConf, kubeletConfig(d, { caCert: o.certs.caCert, ...kubeletServing }, await freePort()));
    const kubelet = await spawnLogged({
      name: 'kubelet', command: bins.kubelet, cwd: d, logPath: join(logDir, 'kubelet.log'),
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      args: [`--config=${kubeletConf}`, `--kubeconfig=${await confFor('kubelet', kubeletClient)}`, `--root-dir=${join(d, 'kubelet')}`,
        `--hostname-override=${NODE_NAME}`, `--node-ip=${NODE_IP}`, `--cert-dir=${join(d, 'kubelet-pki')}`, '-v=1'],
    });
    procs.push(kubelet);
    await waitReady(kubelet, `node ${NODE_NAME} Ready`, 120_000, async () => {
      const r = await kubeRaw<{ status?: { conditions?: { type: string; status: string }[] } }>(api.access, 'GET', `/api/v1/nodes/${NODE_NAME}`);
      return r.status === 200 && (r.body.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    });
    await waitReady(procs.find((p) => p.name === 'kube-controller-manager')!, 'ServiceAccount default/default', 60_000, async () =>
      (await kubeRaw(api.access, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200);
    const crds = await installCrds(api.access, o.crdDir);

    const moto = await forward(o.motoUrl);
    const bao = await forward(o.bao.url);
    const podIdentity = await forward(new URL(o.podIdentityUrl).origin, POD_IDENTITY_IP);
    servers.push(moto.server, bao.server, podIdentity.server);
    try {
      await configureKubernetesAuth(o.bao, api.access, BAO_KUBERNETES_MOUNT);
    } catch (e) {
      throw new ComponentError('real-pod cluster', `OpenBao Kubernetes auth mount ${BAO_KUBERNETES_MOUNT}: ${(e as Error).message}`);
    }

    const info: PodClusterInfo = {
      apiserverUrl: api.url,
      kubeconfigPath,
      kubectl: bins.kubectl,
      nodeName: NODE_NAME,
      nodeIp: NODE_IP,
      images,
      motoUrl: moto.url,
      baoUrl: bao.url,
      baoKubernetesMount: BAO_KUBERNETES_MOUNT,
      podIdentityUrl: `${podIdentity.url}${new URL(o.podIdentityUrl).pathname}`,
      crds,
      logs: Object.fromEntries(procs.map((p) => [p.name, p.logPath])),
      startMs: Date.now() - t0,
    };
    return { info, access: api.access, health: () => healthOf(procs), stop: stopAll };
  } catch (e) {
    const problems = await stopAll();
    if (problems.length > 0) o.log(`real-pod cluster clean-up after a failed start: ${problems.join('; ')}`);
    throw e;
  }
}

/** Deletes every pod (grace 1 s) and waits until the kubelet has confirmed each deletion. */
async function drainPods(access: KubeAccess): Promise<void> {
  const list = async () => (await kubeApi<{ items: { metadata: { name: string; namespace: string } }[] }>(access, 'GET', '/api/v1/pods')).body.items;
  for (const p of await list()) {
    await kubeRaw(access, 'DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { gracePeriodSeconds: 1 });
  }
  const deadline = Date.now() + 60_000;
  let left = await list();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(500);
    left = await list();
  }
  if (left.length > 0) throw new Error(`${left.length} pod(s) not gone after 60 s: ${left.slice(0, 3).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`);
}

/** Kills and removes whatever containers containerd still has (the kubelet's garbage collection is lazy). */
async function removeContainers(ctrBin: string, address: string): Promise<void> {
  const ctr = (...args: string[]) => sh(ctrBin, ['--address', address, '--namespace', 'k8s.io', ...args], 30_000);
  const tasks = (await ctr('tasks', 'ls', '-q')).split('\n').filter(Boolean);
  for (const t of tasks) await ctr('tasks', 'kill', '-s', 'SIGKILL', t).catch(() => undefined);
  if (tasks.length > 0) await sleep(500);
  for (const c of (await ctr('containers', 'ls', '-q')).split('\n').filter(Boolean)) {
    await ctr('tasks', 'delete', '-f', c).catch(() => undefined);
    await ctr('containers', 'rm', c).catch(() => undefined);
  }
}
