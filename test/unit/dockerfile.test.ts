import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
