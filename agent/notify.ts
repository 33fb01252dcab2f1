/**
 * `esi.dev/on-change`: after a rotation, tell the app. Either an HTTP POST to a URL in the pod (JSON body
 * `{"externalSecrets":[...],"version":N}`, no values), or a signal to the main process of a named
 * container. Signals need `shareProcessNamespace: true` (the injector sets it only when asked) and the
 * right to signal that process (same uid, or CAP_KILL).
 *
 * Finding a container's process in a shared PID namespace, in this order:
 *  1. the processes whose mount table (/proc/<pid>/mountinfo) has the marker mount the injector gives
 *     the target container only (`ON_CHANGE_MARKER_DIR/<container>`): the one whose parent lacks it;
 *  2. the process whose environment has ESI_CONTAINER_NAME=<container> (a user may set it) and whose
 *     parent does not — readable when the agent runs as the same uid;
 *  3. otherwise, when exactly one cgroup other than the agent's own and the pause process's holds
 *     processes, the lowest pid in it (a pod with one app container).
 * Anything else is an error that says which of these to fix.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:os';
import { EsiError } from '../core/index.ts';
import { ENV, ON_CHANGE_MARKER_DIR, type OnChange } from '../contract/index.ts';

export const ENV_CONTAINER_NAME = ENV.containerName;

async function readText(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

function ppidOf(stat: string | undefined): number | undefined {
  if (!stat) return undefined;
  // comm may contain spaces and parentheses: the fields after the last ')' are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[1]);
}

/** Mount points of a /proc/<pid>/mountinfo (field 5; the kernel escapes space, tab, newline, backslash as octal). */
export function mountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** The first of `marked` (ascending pids) whose parent is not marked: the container's main process. */
async function topOf(proc: string, marked: Set<number>): Promise<number | undefined> {
  for (const pid of marked) {
    const ppid = ppidOf(await readText(join(proc, String(pid), 'stat')));
    if (ppid === undefined || !marked.has(ppid)) return pid;
  }
  return undefined;
}

export async function findContainerProcess(container: string, opts: { procRoot?: string; selfPid?: number } = {}): Promise<number> {
  const proc = opts.procRoot ?? '/proc';
  const self = opts.selfPid ?? process.pid;
  const pids = (await readdir(proc)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  const markerMount = `${ON_CHANGE_MARKER_DIR}/${container}`;
  const mounted = new Set<number>();
  for (const pid of pids) {
    if (pid === self) continue;
    const info = await readText(join(proc, String(pid), 'mountinfo'));
    if (info !== undefined && mountPoints(info).includes(markerMount)) mounted.add(pid);
  }
  const byMount = await topOf(proc, mounted);
  if (byMount !== undefined) return byMount;
  const marker = `${ENV_CONTAINER_NAME}=${container}`;
  const marked = new Set<number>();
  for (const pid of pids) {
    const environ = await readText(join(proc, String(pid), 'environ'));
    if (environ?.split('\0').includes(marker)) marked.add(pid);
  }
  const byEnv = await topOf(proc, marked);
  if (byEnv !== undefined) return byEnv;
  const own = await readText(join(proc, String(self), 'cgroup'));
  const pause = await readText(join(proc, '1', 'cgroup'));
  const groups = new Map<string, number[]>();
  for (const pid of pids) {
    if (pid === 1 || pid === self) continue;
    const cg = await readText(join(proc, String(pid), 'cgroup'));
    if (cg === undefined || cg === own || cg === pause) continue;
    groups.set(cg, [...(groups.get(cg) ?? []), pid]);
  }
  if (groups.size === 1) return [...groups.values()][0]![0]!;
  throw new EsiError(
    'on-change',
    `on-change: cannot find the process of container ${JSON.stringify(container)}: ${groups.size === 0 ? 'no other container\'s processes are visible (is shareProcessNamespace: true set on the pod?)' : `${groups.size} containers' processes are visible and none has ${marker} readable in its environment nor the mount ${markerMount} (was the pod injected with this esi.dev/on-change? set runAsUser on that container, so the agent runs as its uid, or set ${marker} in it)`}`,
  );
}

/** The agent's own uid (65532 in the image; another when run by hand). */
const agentUid = (): number | string => process.getuid?.() ?? 'unknown';

export function signalNumber(name: string): NodeJS.Signals {
  const n = (name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`) as NodeJS.Signals;
  if (!(n in constants.signals)) throw new EsiError('on-change', `on-change: unknown signal ${JSON.stringify(name)}`);
  return n;
}

export async function notifyApp(onChange: OnChange, changed: string[], version: number, opts: { procRoot?: string; kill?: (pid: number, sig: NodeJS.Signals) => void; timeoutMs?: number } = {}): Promise<string> {
  if (onChange.url) {
    const res = await fetch(onChange.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'esi-agent' },
      body: JSON.stringify({ externalSecrets: changed, version }),
      // A redirect could send the POST anywhere the pod can reach; only the reload URL itself is told.
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    }).catch((e: Error) => {
      throw new EsiError('on-change', `on-change: POST ${onChange.url}: ${e.message}`);
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 300 && res.status < 400) {
      throw new EsiError('on-change', `on-change: POST ${onChange.url}: HTTP ${res.status} redirect not followed (esi posts to the reload URL itself only); make the endpoint answer 2xx`);
    }
    if (!res.ok) throw new EsiError('on-change', `on-change: POST ${onChange.url}: HTTP ${res.status}`);
    return `POST ${onChange.url}: ${res.status}`;
  }
  if (onChange.signal) {
    const sig = signalNumber(onChange.signal.signal);
    const pid = await findContainerProcess(onChange.signal.container, opts.procRoot ? { procRoot: opts.procRoot } : {});
    try {
      (opts.kill ?? process.kill)(pid, sig);
    } catch (e) {
      // The agent has no capabilities (no CAP_KILL): kill(2) needs the target's uid to be its own. The
      // injector runs the agent as the target container's runAsUser when the pod spec names one.
      const hint = (e as NodeJS.ErrnoException).code === 'EPERM'
        ? `; the agent (uid ${agentUid()}) may signal only processes of its own uid: set runAsUser on container ${onChange.signal.container} (esi then runs the agent as that uid), or use a reload URL`
        : '';
      throw new EsiError('on-change', `on-change: ${sig} to container ${onChange.signal.container} (pid ${pid}): ${(e as Error).message}${hint}`);
    }
    return `${sig} to container ${onChange.signal.container} (pid ${pid})`;
  }
  return 'nothing to notify';
}
