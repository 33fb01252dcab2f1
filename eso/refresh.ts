/**
 * Refresh decisions (ESO v2.9.0 pkg/controllers/externalsecret/externalsecret_controller.go: `shouldRefresh`, `shouldRefreshPeriodic`, `isSecretValid`,
 * `getRequeueResult`, sync windows). Pure: the clock comes in as `now`.
 */
import { createHash } from 'node:crypto';
import type { Secret } from '../core/index.ts';
import { compareBytes, dataHash } from './hash.ts';
import { ANNOTATION_DATA_HASH, LABEL_MANAGED } from './secret.ts';
import type { ExternalSecret } from './types.ts';
import { parseGoDuration } from './duration.ts';

export { parseGoDuration };

export interface ExternalSecretSyncStatus {
  /** `status.refreshTime` (RFC 3339), empty when never synced. */
  refreshTime?: string;
  /** `status.syncedResourceVersion`, `<generation>-<hash of labels and annotations>`. */
  syncedResourceVersion?: string;
}

function goMapText(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort(compareBytes);
  return `map[${keys.map((k) => `${k}:${m![k]}`).join(' ')}]`;
}

/** `util.GetResourceVersion`: `<generation>-<ObjectHash({annotations, labels})>`. */
export function resourceVersionOf(es: ExternalSecret): string {
  const text = `{annotations:${goMapText(es.metadata.annotations)} labels:${goMapText(es.metadata.labels)}}`;
  return `${es.metadata.generation ?? 0}-${createHash('sha3-224').update(text).digest('hex')}`;
}

// ---- sync windows: robfig/cron standard 5-field schedules, UTC -----------------------------------

interface Cron {
  fields: Set<number>[];
  domStar: boolean;
  dowStar: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseField(text: string, min: number, max: number, names?: string[], nameBase = 0): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  const num = (t: string): number => {
    const i = names?.indexOf(t.toLowerCase()) ?? -1;
    if (i >= 0) return i + nameBase;
    if (!/^\d+$/.test(t)) throw new Error(`bad cron value ${t}`);
    return Number(t);
  };
  for (const part of text.split(',')) {
    const [rangeText, stepText] = part.split('/');
    let lo: number;
    let hi: number;
    if (rangeText === '*' || rangeText === '?') {
      lo = min;
      hi = max;
      if (stepText === undefined) star = true;
    } else if (rangeText!.includes('-')) {
      const [a, b] = rangeText!.split('-');
      lo = num(a!);
      hi = num(b!);
    } else {
      lo = num(rangeText!);
      hi = stepText !== undefined ? max : lo;
    }
    const step = stepText !== undefined ? Number(stepText) : 1;
    if (!Number.isInteger(step) || step <= 0 || lo < min || hi > max || lo > hi) throw new Error(`bad cron field ${part}`);
    for (let v = lo; v <= hi; v += step) set.add(v);
  }
  return { set, star };
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export function parseCron(spec: string): Cron {
  const s = DESCRIPTORS[spec.trim()] ?? spec.trim();
  const parts = s.split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected exactly 5 fields, found ${parts.length}: ${spec}`);
  const minute = parseField(parts[0]!, 0, 59);
  const hour = parseField(parts[1]!, 0, 23);
  const dom = parseField(parts[2]!, 1, 31);
  const month = parseField(parts[3]!, 1, 12, MONTHS, 1);
  const dow = parseField(parts[4]!, 0, 7, DAYS, 0);
  if (dow.set.has(7)) dow.set.add(0);
  return { fields: [minute.set, hour.set, dom.set, month.set, dow.set], domStar: dom.star, dowStar: dow.star };
}

function cronMatches(c: Cron, t: Date): boolean {
  const [mi, h, dom, mo, dow] = c.fields;
  if (!mi!.has(t.getUTCMinutes()) || !h!.has(t.getUTCHours()) || !mo!.has(t.getUTCMonth() + 1)) return false;
  const d1 = dom!.has(t.getUTCDate());
  const d2 = dow!.has(t.getUTCDay());
  return c.domStar || c.dowStar ? d1 && d2 : d1 || d2;
}

/** Whether a firing of `c` happened in (at - duration - 1s, at] (ESO's isWithinSyncWindow). */
export function withinSyncWindow(c: Cron, durationMs: number, at: Date): boolean {
  const from = at.getTime() - durationMs - 1000;
  let t = Math.floor(from / 60_000) * 60_000;
  if (t <= from) t += 60_000;
  for (let n = 0; t <= at.getTime() && n < 600_000; t += 60_000, n++) {
    if (cronMatches(c, new Date(t))) return true;
  }
  return false;
}

interface SyncWindows {
  kind?: string;
  windows?: { schedule: string; duration?: string }[];
}

export function refreshAllowedByWindows(es: ExternalSecret, now: Date): boolean {
  const sw = es.spec['syncWindows'] as SyncWindows | undefined;
  if (!sw || !sw.windows || sw.windows.length === 0) return true;
  let anyActive = false;
  for (const w of sw.windows) {
    let c: Cron;
    let d: number;
    try {
      c = parseCron(w.schedule);
      d = w.duration ? parseGoDuration(w.duration) : 0;
    } catch {
      continue;
    }
    if (withinSyncWindow(c, d, now)) {
      anyActive = true;
      break;
    }
  }
  if (sw.kind === 'deny') return !anyActive;
  if (sw.kind === 'allow') return anyActive;
  return true;
}

function refreshIntervalMs(es: ExternalSecret): number {
  try {
    return parseGoDuration(es.spec.refreshInterval ?? '1h0m0s');
  } catch {
    return 3_600_000;
  }
}

/** ESO's shouldRefresh (policy part only; see needsSync for the Secret validity part). */
export function shouldRefresh(es: ExternalSecret, status: ExternalSecretSyncStatus, now: Date): boolean {
  const synced = status.syncedResourceVersion ?? '';
  const refreshTime = status.refreshTime ? Date.parse(status.refreshTime) : NaN;
  const neverRefreshed = Number.isNaN(refreshTime);
  switch (es.spec.refreshPolicy) {
    case 'CreatedOnce':
      return synced === '' || neverRefreshed;
    case 'OnChange':
      if (synced === '' || neverRefreshed) return true;
      return synced !== resourceVersionOf(es);
    default: {
      const interval = refreshIntervalMs(es);
      if (interval <= 0 && synced !== '') return false;
      if (synced !== resourceVersionOf(es)) return true;
      if (neverRefreshed) return true;
      if (refreshTime > now.getTime()) return true;
      if (!(refreshTime + interval < now.getTime())) return false;
      return refreshAllowedByWindows(es, now);
    }
  }
}

/** ESO's isSecretValid: the target exists, carries the managed label and a correct data-hash. */
export function isSecretValid(es: ExternalSecret, existing: Secret | undefined): boolean {
  if (es.spec.target.creationPolicy === 'Orphan') return true;
  if (!existing) return false;
  if (existing.metadata.labels?.[LABEL_MANAGED] !== 'true') return false;
  const data: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(existing.data ?? {})) data[k] = Buffer.from(String(v), 'base64');
  return existing.metadata.annotations?.[ANNOTATION_DATA_HASH] === dataHash(data);
}

/** Whether a reconcile at `now` syncs: policy says so, or the target Secret is invalid. */
export function needsSync(es: ExternalSecret, status: ExternalSecretSyncStatus, existing: Secret | undefined, now: Date): boolean {
  return shouldRefresh(es, status, now) || !isSecretValid(es, existing);
}

/** getRequeueResult: milliseconds until the next sync; undefined = no requeue; 0 = immediately. */
export function requeueAfter(es: ExternalSecret, status: ExternalSecretSyncStatus, now: Date): number | undefined {
  const interval = refreshIntervalMs(es);
  if (interval <= 0) return undefined;
  if (!status.refreshTime) return interval;
  const since = now.getTime() - Date.parse(status.refreshTime);
  if (since < 0) return 0;
  if (since < interval) return interval - since;
  return 0;
}
