/**
 * File operations that never follow a symbolic link the agent did not make. The mount is shared with
 * the app containers (and, on a workstation, with whatever else runs under --root): a link planted at a
 * name the agent writes would otherwise carry its writes anywhere its uid can write. Files are opened
 * with O_NOFOLLOW (open(2)); directories are checked with lstat before use.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { EsiError } from '../core/index.ts';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = constants;

function refuse(path: string, why: string): EsiError {
  return new EsiError('write', `writing ${path}: ${why}; refusing to write through it (remove it: the agent creates this path itself)`);
}

/** A directory that exists as a real directory (created if missing, parent must exist); never a link. */
export async function ensureRealDir(path: string): Promise<void> {
  const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) {
    // Missing parents are the mount root's (the agent's own emptyDir, or made by ensureRealDirUnder).
    await mkdir(path, { recursive: true, mode: 0o755 });
    return;
  }
  if (st.isSymbolicLink()) throw refuse(path, 'it is a symbolic link');
  if (!st.isDirectory()) throw refuse(path, 'it is not a directory');
}

/**
 * Creates every directory from `root` down to `path` (inside it), refusing any component below `root`
 * that is a symbolic link or escapes it.
 */
export async function ensureRealDirUnder(root: string, path: string): Promise<void> {
  const rel = relative(resolve(root), resolve(path));
  if (rel.startsWith('..') || resolve(root, rel) !== resolve(path)) throw refuse(path, `it is outside ${root}`);
  await mkdir(root, { recursive: true });
  let cur = resolve(root);
  for (const part of rel.split(sep).filter((p) => p !== '')) {
    cur = `${cur}${sep}${part}`;
    await ensureRealDir(cur);
  }
}

/** Creates `path` exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) and writes `data` with `mode` (umask ignored). */
export async function createFile(path: string, data: Uint8Array | string, mode: number): Promise<void> {
  const fh = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}

/** Replaces `path` atomically: a fresh temporary file (any link there removed, never followed), then rename(2). */
export async function replaceFile(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp`;
  await rm(tmp, { force: true });
  await createFile(tmp, data, mode);
  await rename(tmp, path);
}

/** Reads a file, refusing a symbolic link (ELOOP). */
export async function readFileNoFollow(path: string): Promise<Buffer> {
  const fh = await open(path, O_RDONLY | O_NOFOLLOW);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
