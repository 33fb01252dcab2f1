import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicDirWriter, payloadDirName, type FileSet } from './atomic-writer.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esi-writer-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const set = (o: Record<string, string>): FileSet => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));

describe('AtomicDirWriter', () => {
  it('lays files out like the kubelet: timestamped payload dir, ..data link, per-key links, file mode', async () => {
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o440, now: () => new Date(Date.UTC(2026, 10, 23, 23, 30, 5)) });
    const r = await w.write(set({ username: 'u', password: 'p' }));
    expect(r.changed).toBe(true);
    expect(r.added.sort()).toEqual(['password', 'username']);
    const data = await readlink(join(dir, 'es', '..data'));
    expect(data).toMatch(/^\.\.2026_11_23_23_30_05\.\d{9}$/);
    expect(await readlink(join(dir, 'es', 'password'))).toBe('..data/password');
    expect(await readFile(join(dir, 'es', 'password'), 'utf8')).toBe('p');
    expect((await stat(join(dir, 'es', data, 'password'))).mode & 0o777).toBe(0o440);
    expect((await stat(join(dir, 'es', data))).mode & 0o777).toBe(0o755);
    expect((await readdir(join(dir, 'es'))).sort()).toEqual(['..data', data, 'password', 'username'].sort());
  });

  it('payload dir names are ..YYYY_MM_DD_HH_MM_SS.nnnnnnnnn in UTC', () => {
    expect(payloadDirName(new Date(Date.UTC(2024, 4, 1, 12, 0, 0)), 123)).toBe('..2024_05_01_12_00_00.000000123');
  });

  it('does not rewrite unchanged content (same payload dir, same inode)', async () => {
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o400 });
    const first = await w.write(set({ a: '1', b: '2' }));
    const ino = (await stat(join(dir, 'es', first.dataDir, 'a'))).ino;
    const again = await w.write(set({ b: '2', a: '1' }));
    expect(again.changed).toBe(false);
    expect(again.dataDir).toBe(first.dataDir);
    expect((await stat(join(dir, 'es', first.dataDir, 'a'))).ino).toBe(ino);
  });

  it('rotates: new payload, stale key links and old payload dirs removed', async () => {
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 });
    const first = await w.write(set({ a: '1', gone: 'x' }));
    const second = await w.write(set({ a: '2', added: 'y' }));
    expect(second.changed).toBe(true);
    expect(second.updated).toEqual(['a']);
    expect(second.removed).toEqual(['gone']);
    expect(second.added).toEqual(['added']);
    const entries = await readdir(join(dir, 'es'));
    expect(entries).not.toContain(first.dataDir);
    expect(entries).not.toContain('gone');
    expect(entries.sort()).toEqual(['..data', second.dataDir, 'a', 'added'].sort());
    expect(await readFile(join(dir, 'es', 'a'), 'utf8')).toBe('2');
  });

  it('rewrites when only the file mode changed', async () => {
    await new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 }).write(set({ a: '1' }));
    const r = await new AtomicDirWriter(join(dir, 'es'), { mode: 0o400 }).write(set({ a: '1' }));
    expect(r.changed).toBe(true);
    expect((await stat(join(dir, 'es', 'a'))).mode & 0o777).toBe(0o400);
  });

  it('rejects reserved or unsafe names and writes nothing', async () => {
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 });
    await w.write(set({ a: '1' }));
    const before = await readlink(join(dir, 'es', '..data'));
    for (const bad of ['..data', '..x', 'a/b', '', '.', '..', 'x'.repeat(256)]) {
      await expect(w.write(set({ a: '2', [bad]: 'v' }))).rejects.toThrow(/invalid file name/);
    }
    expect(await readlink(join(dir, 'es', '..data'))).toBe(before);
    expect(await readFile(join(dir, 'es', 'a'), 'utf8')).toBe('1');
  });

  it('refuses to replace a regular file the agent did not make, before writing anything', async () => {
    await mkdir(join(dir, 'es'), { recursive: true });
    await writeFile(join(dir, 'es', 'config'), 'user file');
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 });
    await expect(w.write(set({ config: 'secret' }))).rejects.toThrow(/not a link the agent made/);
    expect(await readFile(join(dir, 'es', 'config'), 'utf8')).toBe('user file');
    expect(await readdir(join(dir, 'es'))).toEqual(['config']);
  });

  it('repairs a visible link that was removed, without a new payload', async () => {
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 });
    const first = await w.write(set({ a: '1' }));
    await rm(join(dir, 'es', 'a'));
    const again = await w.write(set({ a: '1' }));
    expect(again.changed).toBe(false);
    expect(again.dataDir).toBe(first.dataDir);
    expect((await lstat(join(dir, 'es', 'a'))).isSymbolicLink()).toBe(true);
  });

  it('an empty set removes every key link', async () => {
    const w = new AtomicDirWriter(join(dir, 'es'), { mode: 0o440 });
    await w.write(set({ a: '1', b: '2' }));
    const r = await w.write({});
    expect(r.removed.sort()).toEqual(['a', 'b']);
    expect((await readdir(join(dir, 'es'))).filter((n) => !n.startsWith('..'))).toEqual([]);
  });

  it('a reader hammering during 200 rotations never sees a mixed or torn set', async () => {
    const es = join(dir, 'es');
    const w = new AtomicDirWriter(es, { mode: 0o440 });
    const gen = (n: number): FileSet => set({ username: `user-${n}`, password: `pass-${n}-${'x'.repeat(4096)}`, token: `tok-${n}` });
    await w.write(gen(0));
    // A worker thread reads concurrently (a real second thread, not interleaved promises): resolve
    // ..data once, read every file under it; it must see one generation throughout.
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const path = require('node:path');
      let reads = 0, mixed = 0, torn = 0, retries = 0, stop = false;
      parentPort.on('message', () => { stop = true; });
      const loop = () => {
        for (let i = 0; i < 200 && !stop; i++) {
          try {
            const data = fs.readlinkSync(path.join(workerData, '..data'));
            const base = path.join(workerData, data);
            const u = fs.readFileSync(path.join(base, 'username'), 'utf8');
            const p = fs.readFileSync(path.join(base, 'password'), 'utf8');
            const t = fs.readFileSync(path.join(base, 'token'), 'utf8');
            const g = u.slice(5);
            if (p !== 'pass-' + g + '-' + 'x'.repeat(4096)) { if (!p.startsWith('pass-' + g + '-')) mixed++; else torn++; }
            if (t !== 'tok-' + g) mixed++;
            // The visible name always shows a whole file.
            const v = fs.readFileSync(path.join(workerData, 'password'), 'utf8');
            if (!/^pass-\\d+-x{4096}$/.test(v)) torn++;
            reads++;
          } catch (e) { if (e.code === 'ENOENT') retries++; else throw e; }
        }
        if (stop) parentPort.postMessage({ reads, mixed, torn, retries }); else setImmediate(loop);
      };
      loop();
      `,
      { eval: true, workerData: es },
    );
    const result = new Promise<{ reads: number; mixed: number; torn: number; retries: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    for (let n = 1; n <= 200; n++) await w.write(gen(n));
    worker.postMessage('stop');
    const r = await result;
    await worker.terminate();
    expect(r.mixed).toBe(0);
    expect(r.torn).toBe(0);
    expect(r.reads).toBeGreaterThan(0);
    expect(await readFile(join(es, 'token'), 'utf8')).toBe('tok-200');
  });
});
