import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESI_IMAGE, chartImageName, esiImageEntries } from '../../scripts/image.mjs';
import { writeOciArchive } from '../../scripts/oci.mjs';

// No Docker engine exists here, so the image is proven by its parts: the Dockerfile's COPY lines cover
// every source file the bundle was built from, and the bundle runs with plain node and no node_modules.
const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');

interface Stage {
  from: string;
  copies: { from?: string; src: string[]; dest: string }[];
  lines: string[];
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [instr, ...rest] = line.split(/\s+/);
    if (instr === 'FROM') stages.push({ from: rest.join(' '), copies: [], lines: [] });
    const stage = stages.at(-1);
    if (!stage) throw new Error(`instruction before FROM: ${line}`);
    stage.lines.push(line);
    if (instr === 'COPY') {
      const flags = rest.filter((r) => r.startsWith('--'));
      const paths = rest.filter((r) => !r.startsWith('--'));
      const fromFlag = flags.find((f) => f.startsWith('--from='));
      stage.copies.push({ ...(fromFlag ? { from: fromFlag.slice(7) } : {}), src: paths.slice(0, -1), dest: paths.at(-1)! });
    }
  }
  return stages;
}

describe('Dockerfile', () => {
  let stages: Stage[];
  let meta: { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
  let scratch: string;

  beforeAll(async () => {
    stages = parseDockerfile(await readFile(join(repo, 'Dockerfile'), 'utf8'));
    await run('node', ['scripts/build.mjs'], { cwd: repo });
    meta = JSON.parse(await readFile(join(repo, '.esi-run', 'build-meta.json'), 'utf8'));
    scratch = await mkdtemp(join(tmpdir(), 'esi-image-'));
  }, 120_000);
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('is multi-stage and runs the final stage as uid 65532 with esi as the entrypoint', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages.at(-1)!;
    expect(final.lines).toContain('USER 65532:65532');
    expect(final.lines.find((l) => l.startsWith('ENTRYPOINT'))).toMatch(/dist\/esi\.mjs/);
  });

  it('copies into the final image only the built bundle', () => {
    const final = stages.at(-1)!;
    expect(final.copies).toEqual([{ from: 'build', src: ['/src/dist/'], dest: '/app/dist/' }]);
  });

  it('copies into the build stage every source file the bundle is made of', () => {
    const copied = stages[0]!.copies.flatMap((c) => c.src).map((s) => s.replace(/\/$/, ''));
    // Inputs loaded through a plugin (embedded text files) are named `<namespace>:<absolute path>`; Node's
    // builtins, which the bundle requires (scripts/build.mjs), are `builtin:node:<name>` and no files.
    const sources = Object.keys(meta.inputs)
      .filter((f) => !f.startsWith('builtin:'))
      .map((f) => f.replace(/^[a-z-]+:/, ''))
      .map((f) => (f.startsWith('/') ? relative(repo, f) : f))
      .filter((f) => !f.startsWith('node_modules/'));
    expect(sources.length).toBeGreaterThan(10);
    const missing = sources.filter((f) => !copied.some((c) => f === c || f.startsWith(`${c}/`)));
    expect(missing).toEqual([]);
  });

  it('bundles Node builtins as require() calls, never ES imports (Node 22 compiles undici for an ES import of node:http)', () => {
    const outputs = Object.entries(meta.outputs as Record<string, { imports?: { path: string; kind: string; external?: boolean }[] }>);
    const esImports = outputs.flatMap(([f, o]) => (o.imports ?? []).filter((i) => i.external && i.kind !== 'require-call').map((i) => `${f}: ${i.path}`));
    expect(esImports).toEqual([]);
  });

  it('ships a module compile cache warmed as the uid the agent runs as', () => {
    const final = stages.at(-1)!;
    expect(final.lines.find((l) => l.startsWith('ENV'))).toMatch(/NODE_COMPILE_CACHE=\/app\/\.compile-cache/);
    const user = final.lines.indexOf('USER 65532:65532');
    const warm = final.lines.findIndex((l) => l.startsWith('RUN node /app/dist/esi.mjs demo'));
    expect(warm).toBeGreaterThan(user);
  });

  it('builds exactly the files the final stage copies', async () => {
    for (const out of Object.keys(meta.outputs)) {
      expect(out.startsWith('dist/')).toBe(true);
      expect((await stat(join(repo, out))).isFile()).toBe(true);
    }
  });

  it('runs `esi --help` with plain node and no node_modules beside it', async () => {
    await cp(join(repo, 'dist'), join(scratch, 'app', 'dist'), { recursive: true });
    const { stdout } = await run('node', [join(scratch, 'app', 'dist', 'esi.mjs'), '--help'], { cwd: scratch, env: { PATH: process.env['PATH'] ?? '' } });
    expect(stdout).toContain('Usage: esi <command>');
    for (const cmd of ['webhook', 'agent', 'inject', 'render', 'demo']) expect(stdout).toContain(`  ${cmd}`);
  });
});

// The image the e2e harness runs on a real kubelet (and users can build without Docker) is assembled by
// scripts/image.mjs; these keep its recipe equal to the Dockerfile's final stage.
describe('scripts/image.mjs (the esi image without Docker)', () => {
  let final: Stage;
  let scratch: string;
  beforeAll(async () => {
    final = parseDockerfile(await readFile(join(repo, 'Dockerfile'), 'utf8')).at(-1)!;
    scratch = await mkdtemp(join(tmpdir(), 'esi-oci-'));
  });
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  const instr = (name: string) => final.lines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

  it('is named as the chart and the plain manifests name their image, so both run it as they are', async () => {
    const manifests = await readFile(join(repo, 'deploy', 'manifests', 'esi.yaml'), 'utf8');
    const images = [...manifests.matchAll(/^\s+(?:image: |- --agent-image=)(\S+)$/gm)].map((m) => m[1]);
    expect(images).toHaveLength(2); // the webhook's and the agent's
    expect(new Set(images)).toEqual(new Set([await chartImageName()]));
  });

  it('has the Dockerfile\'s USER, WORKDIR, ENV and ENTRYPOINT', () => {
    expect(instr('USER')).toEqual([ESI_IMAGE.config.User]);
    expect(instr('WORKDIR')).toEqual([ESI_IMAGE.config.WorkingDir]);
    expect(instr('ENTRYPOINT').map((e) => JSON.parse(e))).toEqual([ESI_IMAGE.config.Entrypoint]);
    // `ENV K=V [K2=V2 …]` or the legacy `ENV K V`.
    const envs = instr('ENV').flatMap((e) => (/^\S+=/.test(e) ? e.split(/\s+/) : [e.replace(/\s+/, '=')]));
    expect(envs.length).toBeGreaterThan(0);
    for (const env of envs) expect(ESI_IMAGE.config.Env).toContain(env);
    expect(ESI_IMAGE.config.User).toBe(`${ESI_IMAGE.uid}:${ESI_IMAGE.uid}`);
  });

  it('runs a Node of the Dockerfile\'s major version, found on PATH as its entrypoint expects', () => {
    const major = /^node:(\d+)[-@]/.exec(final.from)?.[1];
    expect(major).toBeDefined();
    expect(ESI_IMAGE.nodeVersion.split('.')[0]).toBe(major);
    const path = ESI_IMAGE.config.Env.find((e) => e.startsWith('PATH='))!.slice(5).split(':');
    expect(path).toContain(`/${ESI_IMAGE.nodePath.split('/').slice(0, -1).join('/')}`);
    expect(ESI_IMAGE.nodePath.endsWith(`/${ESI_IMAGE.config.Entrypoint[0]}`)).toBe(true);
  });

  it('holds every file the bundle is made of, the libraries node loads, the user and a sticky /tmp', async () => {
    const entries = await esiImageEntries({ node: process.execPath, dist: join(repo, 'dist') });
    const paths = new Set(entries.map((e) => e.path));
    const meta = JSON.parse(await readFile(join(repo, '.esi-run', 'build-meta.json'), 'utf8')) as { outputs: Record<string, unknown> };
    for (const out of Object.keys(meta.outputs)) expect(paths).toContain(`app/${out}`);
    expect(paths).toContain(ESI_IMAGE.nodePath);
    expect([...paths].some((p) => /^lib(64)?\/.*ld-linux/.test(p) || /^lib64\/ld-/.test(p))).toBe(true);
    const passwd = entries.find((e) => e.path === 'etc/passwd');
    expect(passwd?.type === 'file' && passwd.data.toString()).toMatch(new RegExp(`:${ESI_IMAGE.uid}:${ESI_IMAGE.uid}:`));
    expect(entries.find((e) => e.path === 'tmp')).toMatchObject({ type: 'dir', mode: 0o1777 });
    // The Dockerfile's compile-cache directory, owned by the user the image runs as.
    const cacheDir = /RUN mkdir (\S+) && chown (\d+):/.exec(final.lines.join('\n'));
    expect(cacheDir, "the Dockerfile's `RUN mkdir <dir> && chown <uid>:` line").not.toBeNull();
    expect(entries.find((e) => e.path === cacheDir![1]!.slice(1))).toMatchObject({ type: 'dir', uid: Number(cacheDir![2]) });
  });

  it('writes an OCI layout tar whose blobs match their digests', async () => {
    const out = join(scratch, 'img.tar');
    const digest = await writeOciArchive({
      name: 'localhost/t:1', out, config: { Entrypoint: ['/a'] },
      entries: [
        { path: 'a', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
        { path: `deep/${'x'.repeat(120)}/f`, type: 'file', mode: 0o644, data: Buffer.from('long name') },
        { path: 'bin/sh', type: 'symlink', target: 'busybox' },
      ],
    });
    const dir = join(scratch, 'x');
    await run('mkdir', ['-p', dir]);
    await run('tar', ['-xf', out, '-C', dir]);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(digest);
    expect(index.manifests[0].annotations['io.containerd.image.name']).toBe('localhost/t:1');
    const blob = async (d: string) => readFile(join(dir, 'blobs', 'sha256', d.slice(7)));
    const { createHash } = await import('node:crypto');
    const manifest = JSON.parse((await blob(digest)).toString());
    for (const d of [manifest.config, ...manifest.layers]) {
      const data = await blob(d.digest);
      expect(data.length).toBe(d.size);
      expect(`sha256:${createHash('sha256').update(data).digest('hex')}`).toBe(d.digest);
    }
    const layer = join(dir, 'layer');
    await run('mkdir', ['-p', layer]);
    await run('tar', ['-xf', join(dir, 'blobs', 'sha256', manifest.layers[0].digest.slice(7)), '-C', layer]);
    expect(await readFile(join(layer, 'deep', 'x'.repeat(120), 'f'), 'utf8')).toBe('long name');
    expect((await stat(join(layer, 'a'))).mode & 0o777).toBe(0o755);
    const { stdout } = await run('readlink', [join(layer, 'bin', 'sh')]);
    expect(stdout.trim()).toBe('busybox');
  });
});
