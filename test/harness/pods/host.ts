// The host-global state of the real-pod cluster (an address on lo, a bridge, network namespaces, mounts,
// cgroups) and the machine-wide lock that makes this run the only one touching it. Every change made here
// is undone by `HostChanges.undo()`, in reverse order; nothing is left for a later run to trip over.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The machine-wide lock file: one real-pod cluster per machine (it owns NODE_IP, BRIDGE, port 443/10250 there). */
export const LOCK_FILE = '/run/lock/esi-e2e-real-pods.lock';

export interface MachineLock {
  release(): void;
}

/**
 * Takes an exclusive flock on LOCK_FILE, held by a `flock … cat` child whose stdin is our pipe: when this
 * process ends, however it ends, `cat` sees EOF and the kernel releases the lock.
 */
export function takeMachineLock(timeoutSeconds: number, log: (l: string) => void): Promise<MachineLock> {
  return takeLock(LOCK_FILE, timeoutSeconds, () => log(`waiting for ${LOCK_FILE} (another real-pod cluster runs on this machine)`));
}

/** flock(1) on `file`, held by a child until `release()` (the kernel drops it if this process dies). */
export async function takeLock(file: string, timeoutSeconds: number, onWait: () => void): Promise<MachineLock> {
  const child: ChildProcess = spawn('flock', ['--wait', String(timeoutSeconds), file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let waiting: NodeJS.Timeout | undefined = setTimeout(onWait, 2000);
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.once('data', () => resolve());
      child.once('error', (e) => reject(new Error(`cannot run flock (util-linux): ${e.message}`)));
      child.once('exit', (code) => reject(new Error(`could not lock ${file} within ${timeoutSeconds}s (flock exit ${code}${err ? `: ${err.trim()}` : ''})`)));
    });
  } finally {
    clearTimeout(waiting);
    waiting = undefined;
  }
  child.removeAllListeners('exit');
  return { release: () => child.stdin!.end() };
}

export async function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  try {
    return (await exec(cmd, args, { timeout: timeoutMs })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr || err.message).trim().slice(0, 300)}`);
  }
}

/** Undo actions for what start-up changed on the host, run in reverse; each failure is reported, none stops the rest. */
export class HostChanges {
  private readonly undos: { what: string; undo: () => Promise<void> }[] = [];
  add(what: string, undo: () => Promise<void>): void {
    this.undos.push({ what, undo });
  }
  async undo(): Promise<string[]> {
    const problems: string[] = [];
    for (const u of this.undos.reverse()) {
      try {
        await u.undo();
      } catch (e) {
        problems.push(`${u.what}: ${(e as Error).message}`);
      }
    }
    this.undos.length = 0;
    return problems;
  }
}

export async function hasAddress(ip: string): Promise<boolean> {
  return (await sh('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo'])).includes(` ${ip}/`);
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo; octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const left = mountsUnder(dir);
    if (left.length === 0) return;
    for (const m of left) {
      await sh('umount', [m]).catch(() => sh('umount', ['-l', m]).catch(() => undefined));
    }
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`still mounted: ${left.slice(0, 5).join(', ')}`);
}

/** Every cgroup v1 hierarchy (and the v2 mount, if any) under /sys/fs/cgroup. */
function cgroupHierarchies(): string[] {
  const root = '/sys/fs/cgroup';
  if (existsSync(join(root, 'cgroup.controllers'))) return [root];
  return readdirSync(root)
    .map((d) => join(root, d))
    .filter((d) => {
      try {
        return statSync(d).isDirectory();
      } catch {
        return false;
      }
    });
}

/** Removes cgroup directories named `name` at the top of each hierarchy, children first (rmdir only: a busy one stays and is reported). */
export function removeCgroups(name: string): void {
  const failed: string[] = [];
  const rmTree = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch (e) {
      failed.push(`${dir} (${(e as NodeJS.ErrnoException).code})`);
    }
  };
  for (const h of cgroupHierarchies()) if (existsSync(join(h, name))) rmTree(join(h, name));
  if (failed.length > 0) throw new Error(`cgroups left: ${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ` and ${failed.length - 3} more` : ''}`);
}

/** Names of the network namespaces bind-mounted in /run/netns (CNI sandboxes appear here). */
export function netnsNames(): Set<string> {
  try {
    return new Set(readdirSync('/run/netns'));
  } catch {
    return new Set();
  }
}

/** PIDs whose command line contains `needle` (to find the shims of our containerd by its socket path). */
export function pidsWithCmdline(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
