import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot } from './cache.ts';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '..', '..');

/**
 * Builds a test-only Go program from `test/go/<name>` (the project's own few lines of Go that run the
 * real Go libraries for differential tests) and returns the binary's path. The binary is cached under
 * a key made of the sources' hash, so a warm run costs one hash. Nothing built here ships.
 */
export async function buildGoHelper(name: string): Promise<string> {
  const dir = join(repoRoot, 'test', 'go', name);
  const hash = createHash('sha256');
  for (const f of (await readdir(dir)).sort()) {
    if (/\.(go|mod|sum)$/.test(f)) hash.update(f).update(await readFile(join(dir, f)));
  }
  const outDir = join(cacheRoot(), 'go-helpers');
  const bin = join(outDir, `${name}-${hash.digest('hex').slice(0, 16)}`);
  try {
    await access(bin);
    return bin;
  } catch {
    /* not built yet */
  }
  await mkdir(outDir, { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  try {
    await run('go', ['build', '-trimpath', '-o', `${bin}.tmp`, '.'], { cwd: dir, env, timeout: 15 * 60_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building Go helper test/go/${name} failed: ${(err.stderr ?? err.message).slice(0, 2000)}`);
  }
  await rename(`${bin}.tmp`, bin);
  return bin;
}
