/**
 * The rules a pod's esi settings must follow, defined once: the injector applies them to annotations
 * at admission and the agent applies them to the config it reads (which anyone who can edit the pod's
 * annotations can change after admission). Each rule returns the fix to tell the user, or undefined.
 * Callers say where the value came from (an annotation, a config field).
 */

/** Kubernetes' limit on the total size of a pod's annotations, keys and values (apimachinery ValidateAnnotationsSize). */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

/** The shortest refresh interval esi runs: each refresh reads the backend (ESO has no floor; 1 s bounds one pod to one read per second per ExternalSecret). */
export const MIN_REFRESH_INTERVAL_MS = 1000;

/** Service-account token directories the kubelet and the EKS webhooks mount into every container. */
const TOKEN_DIRS = [
  '/var/run/secrets/kubernetes.io/serviceaccount',
  '/run/secrets/kubernetes.io/serviceaccount',
  '/var/run/secrets/eks.amazonaws.com/serviceaccount',
  '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount',
];
/** Filesystems the container runtime owns: a volume there hides them. */
const RUNTIME_TREES = ['/proc', '/dev', '/sys'];
/** Directories of the image a volume would replace whole, breaking the container (libc, shells, /etc/hosts, resolv.conf). */
const IMAGE_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr', '/etc', '/var', '/run', '/var/run', '/tmp', '/root', '/boot', '/home', '/opt'];

const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

/** `//a/./b/` → `/a/b`: the path the kubelet would mount at. `..` is not resolved (it is refused). */
export function normaliseMountPath(raw: string): string {
  const parts = raw.trim().split('/').filter((s) => s !== '' && s !== '.');
  return '/' + parts.join('/');
}

/**
 * Why a secrets mount path (already normalised) would break the pod, or undefined. `reserved` are the
 * directories esi's agent mounts itself (its config, providers' service-account tokens).
 */
export function mountPathProblem(path: string, reserved: readonly string[] = []): string | undefined {
  const fix = 'give an absolute directory of its own such as "/var/run/secrets/esi"';
  if (!path.startsWith('/') || path.split('/').includes('..') || path.includes(':') || /[\s\0]/.test(path)) {
    return `${fix} (absolute, no "..", no ":" or whitespace)`;
  }
  if (path === '/') return `a volume at "/" would replace the container's root filesystem; ${fix}`;
  const runtime = RUNTIME_TREES.find((d) => isUnder(path, d));
  if (runtime) return `${runtime} belongs to the container runtime; a volume there hides it; ${fix}`;
  if (IMAGE_DIRS.includes(path)) return `a volume at ${path} would hide the image's ${path} and break the container; ${fix}`;
  for (const t of TOKEN_DIRS) {
    if (isUnder(path, t) || isUnder(t, path)) return `it overlaps the service-account token directory ${t}, which the kubelet mounts; ${fix}`;
  }
  for (const r of reserved) {
    if (isUnder(path, r) || isUnder(r, path)) return `it overlaps ${r}, a directory esi's agent mounts for itself; ${fix}`;
  }
  if (path.length > 1024) return `a path longer than 1024 characters is not portable; ${fix}`;
  return undefined;
}

/**
 * Why a name cannot be a file in the mount, or undefined. The agent writes files the way the kubelet's
 * AtomicWriter does, which reserves names starting with ".." (`..data`, its timestamped payloads) —
 * the same rule as Kubernetes' Secret and ConfigMap keys (apimachinery IsConfigMapKey).
 */
export function fileNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'a file name must not be empty, "." or ".."';
  if (!/^[-._a-zA-Z0-9]+$/.test(name)) return 'a file name may only hold letters, digits, "-", "_" and "." (no "/")';
  if (name.startsWith('..')) return 'names starting with ".." are reserved for the atomic writer (..data and its payload directories)';
  if (name.length > 253) return 'a file name must be at most 253 characters (a Kubernetes Secret key)';
  return undefined;
}

/** Why a refresh interval (milliseconds, 0 = never) is refused, or undefined. */
export function refreshIntervalProblem(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < 0) return 'give a duration such as "30s", "5m" or "1h30m" ("0" disables refresh)';
  if (ms > 0 && ms < MIN_REFRESH_INTERVAL_MS) return 'the shortest refresh interval is 1s (every refresh reads the backend); use "1s" or more, or "0" to disable refresh';
  return undefined;
}

/** Why a staleness bound (milliseconds) is refused, or undefined: it has to be a real, positive time. */
export function staleAfterProblem(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < MIN_REFRESH_INTERVAL_MS) return 'give a duration of at least 1s, such as "90s" or "15m" (the default is 3 × the refresh interval, at least 5m)';
  return undefined;
}

export const ON_CHANGE_SIGNALS = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'TERM', 'WINCH', 'ALRM', 'CONT'];
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A reload URL inside the pod: plain http to loopback with an explicit port, no credentials. */
export function reloadUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'use a reload URL inside the pod, "http://127.0.0.1:<port>/<path>" (loopback, explicit port), or "signal:<SIGNAL>:<container>"';
  }
  const local = url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && url.port !== '';
  if (!local || url.username || url.password) {
    return 'use a reload URL inside the pod, "http://127.0.0.1:<port>/<path>" (loopback, explicit port), or "signal:<SIGNAL>:<container>"';
  }
  return undefined;
}

/** A signal target: `SIG<NAME>` from the list and a container name. */
export function signalProblem(signal: string, container: string): string | undefined {
  const sig = signal.toUpperCase().replace(/^SIG/, '');
  if (!ON_CHANGE_SIGNALS.includes(sig) || !DNS1123_LABEL.test(container)) {
    return `use "signal:<SIGNAL>:<container>" with SIGNAL one of ${ON_CHANGE_SIGNALS.map((s) => 'SIG' + s).join(', ')}, e.g. "signal:SIGHUP:app", or a reload URL "http://127.0.0.1:<port>/<path>"`;
  }
  return undefined;
}

/** File permission bits: readable by someone, no more than 0777. */
export function fileModeProblem(mode: number): string | undefined {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) return 'give octal permission bits between 0000 and 0777, e.g. "0440" or "0400"';
  if ((mode & 0o444) === 0) return 'the mode must let someone read the files; include a read bit, e.g. "0440"';
  return undefined;
}

const MAX_SHOWN = 80;

/**
 * A value quoted for an error message, cut when long: messages go to the apiserver, logs and Events,
 * and an annotation can be megabytes. The length says how much was left out.
 */
export function shownValue(v: string): string {
  if (v.length <= MAX_SHOWN) return JSON.stringify(v);
  return `${JSON.stringify(v.slice(0, MAX_SHOWN))}… (${Buffer.byteLength(v)} bytes)`;
}
