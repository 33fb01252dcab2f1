// Child processes of the harness: spawned without a shell, output to a log file, stopped by recorded PID
// (SIGTERM, then SIGKILL), with a process 'exit' safety net.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

/** A component failed to start or died; the message names it and its log file (never log contents). */
export class ComponentError extends Error {
  readonly component: string;
  readonly logPath: string | undefined;
  constructor(component: string, problem: string, logPath?: string) {
    super(`e2e component ${component}: ${problem}${logPath ? `; log: ${logPath}` : ''}`);
    this.name = 'ComponentError';
    this.component = component;
    this.logPath = logPath;
  }
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Set once the process has exited; `expected` is true when the harness stopped it. */
  exit: { code: number | null; signal: NodeJS.Signals | null; expected: boolean } | undefined;
  /** True once the harness asked it to stop. */
  stopping: boolean;
  readonly child: ChildProcess;
}

const live = new Set<ManagedProcess>();
let safetyNet = false;

function installSafetyNet(): void {
  if (safetyNet) return;
  safetyNet = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logPath: string;
}

/** Spawns a child with stdout+stderr appended to `logPath`; rejects with a ComponentError if it cannot run. */
export async function spawnLogged(o: StartOptions): Promise<ManagedProcess> {
  installSafetyNet();
  const fd = openSync(o.logPath, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => reject(new ComponentError(o.name, `cannot run ${o.command}: ${e.message}`, o.logPath)));
  });
  const p: ManagedProcess = { name: o.name, pid: child.pid!, logPath: o.logPath, exit: undefined, stopping: false, child };
  live.add(p);
  child.on('exit', (code, signal) => {
    p.exit ??= { code, signal, expected: p.stopping };
    live.delete(p);
  });
  return p;
}

export function describeExit(p: ManagedProcess): string {
  if (!p.exit) return 'running';
  return p.exit.signal ? `exited on signal ${p.exit.signal}` : `exited with code ${p.exit.code}`;
}

/** Problem text for a process that should be running, or undefined if it is. */
export function processProblem(p: ManagedProcess): string | undefined {
  if (!p.exit) return undefined;
  return `${p.exit.expected ? 'was stopped' : 'died unexpectedly'} (${describeExit(p)}, pid ${p.pid})`;
}

/** One line per process that should be running but is not, naming it and its log file. */
export function healthOf(procs: ManagedProcess[]): string[] {
  return procs.flatMap((p) => {
    const problem = processProblem(p);
    return problem ? [`${p.name} ${problem}; log: ${p.logPath}`] : [];
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `ready` until it returns true. Fails with a ComponentError naming the component and log when the
 * process exits first or the deadline passes.
 */
export async function waitReady(p: ManagedProcess, what: string, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (p.exit) throw new ComponentError(p.name, `${describeExit(p)} while waiting for ${what}`, p.logPath);
    try {
      if (await ready()) return;
    } catch (e) {
      lastError = (e as Error).message;
    }
    await sleep(250);
  }
  throw new ComponentError(
    p.name,
    `not ready (${what}) within ${Math.round(timeoutMs / 1000)}s${lastError ? ` (last error: ${lastError.slice(0, 200)})` : ''}`,
    p.logPath,
  );
}

/** SIGTERM the recorded PID, wait up to `graceMs`, then SIGKILL it. */
export async function stopProcess(p: ManagedProcess, graceMs = 10_000): Promise<void> {
  if (p.exit) return;
  p.stopping = true;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(t);
}

/** A free TCP port on 127.0.0.1 (listen on :0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free port whose successor is free too (OpenBao's dev cluster listener uses port + 1). */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort();
    if (p < 65535 && (await portIsFree(p + 1))) return p;
  }
  throw new Error('no free pair of adjacent ports on 127.0.0.1');
}
