/**
 * Writes one directory of secret files the way the kubelet writes a secret volume (its AtomicWriter):
 *
 *   <dir>/..2026_11_23_23_30_00.123456789/<key>   the payload, a fresh timestamped directory per change
 *   <dir>/..data -> ..2026_11_23_23_30_00.123456789   swapped by rename(2), the one atomic step
 *   <dir>/<key>  -> ..data/<key>                  what the app opens
 *
 * A reader that resolves `..data` once and reads the files under it sees the old set or the new set,
 * never a mix; a reader of the visible names sees each file whole. Unchanged content is not rewritten
 * (no new directory, no inotify event). A write is all or nothing: the payload directory is complete
 * before the swap, and a failure before the swap leaves the previous set in place.
 */
import { randomInt } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EsiError } from '../core/index.ts';
import { createFile, ensureRealDir, readFileNoFollow } from './safe-fs.ts';

export const DATA_DIR_NAME = '..data';
const DATA_TMP_NAME = '..data_tmp';

/** File name → bytes. Names are flat (no `/`): ExternalSecret keys match ^[-._a-zA-Z0-9]+$. */
export type FileSet = Record<string, Uint8Array>;

export interface WriteResult {
  /** False when the content on disk already equalled `files` (nothing was written). */
  changed: boolean;
  /** The payload directory `..data` points to after the write. */
  dataDir: string;
  added: string[];
  removed: string[];
  updated: string[];
}

export interface AtomicDirWriterOptions {
  /** Permission bits of every file (umask is ignored, as the kubelet does). */
  mode: number;
  /** Injected clock for the timestamped directory name. */
  now?: () => Date;
}

export function validateFileName(name: string): void {
  if (name === '' || name === '.' || name === '..') throw new EsiError('invalid-key', `invalid file name ${JSON.stringify(name)}`);
  if (name.includes('/') || name.includes('\0')) throw new EsiError('invalid-key', `invalid file name ${JSON.stringify(name)}: must not contain "/"`);
  if (name.startsWith('..')) throw new EsiError('invalid-key', `invalid file name ${JSON.stringify(name)}: must not start with ".." (reserved for the atomic writer)`);
  if (Buffer.byteLength(name) > 255) throw new EsiError('invalid-key', `invalid file name ${JSON.stringify(name.slice(0, 40))}…: longer than 255 bytes`);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `..YYYY_MM_DD_HH_MM_SS.nnnnnnnnn` (UTC), the kubelet's payload directory name shape. */
export function payloadDirName(d: Date, nanos: number): string {
  return `..${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}_${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}.${pad(nanos, 9)}`;
}

const PAYLOAD_RE = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/;

function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException)?.code === code;
}

export class AtomicDirWriter {
  readonly dir: string;
  readonly #mode: number;
  readonly #now: () => Date;

  constructor(dir: string, opts: AtomicDirWriterOptions) {
    this.dir = dir;
    this.#mode = opts.mode & 0o7777;
    this.#now = opts.now ?? (() => new Date());
  }

  /** The payload directory name `..data` points to, or undefined before the first write. */
  async current(): Promise<string | undefined> {
    try {
      const target = await readlink(join(this.dir, DATA_DIR_NAME));
      // Only a payload directory of our own naming: a planted ..data -> /etc is not our set.
      return PAYLOAD_RE.test(target) ? target : undefined;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  /** The complete set on disk, read through one resolution of `..data`; undefined if none. */
  async read(): Promise<FileSet | undefined> {
    const cur = await this.current();
    if (cur === undefined) return undefined;
    return readPayload(join(this.dir, cur));
  }

  async write(files: FileSet): Promise<WriteResult> {
    const names = Object.keys(files).sort();
    for (const n of names) validateFileName(n);
    // The ExternalSecret's directory itself must be a real directory: a symlink would carry the files elsewhere.
    await ensureRealDir(this.dir);

    const oldName = await this.current();
    const old = oldName === undefined ? undefined : await readPayload(join(this.dir, oldName), this.#mode).catch(() => undefined);
    const oldNames = old ? Object.keys(old) : [];
    const added = names.filter((n) => !old || !(n in old));
    const removed = oldNames.filter((n) => !(n in files));
    const updated = names.filter((n) => old && n in old && Buffer.compare(Buffer.from(old[n]!), Buffer.from(files[n]!)) !== 0);

    if (old && oldName !== undefined && added.length === 0 && removed.length === 0 && updated.length === 0) {
      // Same content and mode: leave the payload alone, but repair any visible link someone removed.
      await this.#linkVisible(names);
      return { changed: false, dataDir: oldName, added, removed, updated };
    }

    // Refuse before touching anything when a visible name is taken by something the agent did not make.
    for (const n of names) {
      const st = await lstat(join(this.dir, n)).catch(() => undefined);
      if (st && !st.isSymbolicLink()) {
        throw new EsiError('write', `writing ${this.dir}: ${JSON.stringify(n)} exists and is not a link the agent made; refusing to replace it`);
      }
    }
    const newName = await this.#makePayloadDir();
    const newPath = join(this.dir, newName);
    try {
      for (const n of names) {
        await createFile(join(newPath, n), files[n]!, this.#mode);
      }
      await chmod(newPath, 0o755);
      const tmp = join(this.dir, DATA_TMP_NAME);
      await rm(tmp, { force: true });
      await symlink(newName, tmp);
      await rename(tmp, join(this.dir, DATA_DIR_NAME));
    } catch (e) {
      await rm(newPath, { recursive: true, force: true }).catch(() => undefined);
      throw new EsiError('write', `writing ${this.dir}: ${(e as Error).message}`, { cause: e });
    }

    await this.#linkVisible(names);
    for (const n of removed) {
      const p = join(this.dir, n);
      const st = await lstat(p).catch(() => undefined);
      if (st?.isSymbolicLink()) await unlink(p).catch(() => undefined);
    }
    await this.#removeOldPayloads(newName);
    return { changed: true, dataDir: newName, added, removed, updated };
  }

  /**
   * Removes the whole directory in one visible step: rename(2) to a hidden sibling, then delete that.
   * A reader sees the complete set or no directory, never a half-removed one. Nothing there is a no-op.
   */
  async remove(): Promise<boolean> {
    const gone = join(dirname(this.dir), `..removed-${randomInt(0, 1_000_000_000)}`);
    try {
      await rename(this.dir, gone);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw new EsiError('write', `removing ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
    await rm(gone, { recursive: true, force: true });
    return true;
  }

  async #makePayloadDir(): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const name = payloadDirName(this.#now(), randomInt(0, 1_000_000_000));
      try {
        await mkdir(join(this.dir, name), { mode: 0o755 });
        return name;
      } catch (e) {
        if (!isErrno(e, 'EEXIST')) throw e;
      }
    }
    throw new EsiError('write', `writing ${this.dir}: could not create a payload directory`);
  }

  async #linkVisible(names: string[]): Promise<void> {
    for (const n of names) {
      const p = join(this.dir, n);
      const want = join(DATA_DIR_NAME, n);
      const st = await lstat(p).catch(() => undefined);
      if (st?.isSymbolicLink() && (await readlink(p)) === want) continue;
      if (st && !st.isSymbolicLink()) {
        throw new EsiError('write', `writing ${this.dir}: ${JSON.stringify(n)} exists and is not a link the agent made; refusing to replace it`);
      }
      if (st) await unlink(p);
      await symlink(want, p);
    }
  }

  async #removeOldPayloads(keep: string): Promise<void> {
    for (const entry of await readdir(this.dir)) {
      if (entry !== keep && PAYLOAD_RE.test(entry)) await rm(join(this.dir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * Reads a payload directory. With `mode`, a file whose mode differs reads as different content
 * (so a changed file mode rewrites the set).
 */
async function readPayload(path: string, mode?: number): Promise<FileSet> {
  // No prototype: a key named __proto__ (valid in a Kubernetes Secret) is a file like any other.
  const out: FileSet = Object.create(null) as FileSet;
  for (const n of await readdir(path)) {
    const p = join(path, n);
    out[n] = await readFileNoFollow(p);
    if (mode !== undefined && ((await lstat(p)).mode & 0o7777) !== mode) out[n] = new Uint8Array([0xff, ...out[n]!, 0xfe]);
  }
  return out;
}
