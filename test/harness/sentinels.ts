// Sentinel secrets: recognisable fake values registered per run; the teardown scans esi's own log files
// (`esi-*.log` under the run dir) for each of them, raw and base64, and fails the run on any hit.
// Reports name the file, line and sentinel label, never the value (test/harness/README.md).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ESI_LOG_PATTERN = /^esi-.*\.log$/;

const dirOf = (runDir: string) => join(runDir, 'sentinels');

/** Creates and registers a sentinel value; `label` (letters, digits, dashes) helps reports. */
export function newSentinel(runDir: string, label = 'value'): string {
  const safe = label.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40);
  const value = `esi-sentinel-${safe}-${randomBytes(8).toString('hex')}`;
  mkdirSync(dirOf(runDir), { recursive: true, mode: 0o700 });
  // The file name (= the label in reports) shares no random part with the value.
  writeFileSync(join(dirOf(runDir), `${safe}.${randomBytes(4).toString('hex')}`), value, { mode: 0o600 });
  return value;
}

export function readSentinels(runDir: string): { label: string; value: string }[] {
  let names: string[];
  try {
    names = readdirSync(dirOf(runDir));
  } catch {
    return [];
  }
  return names.map((n) => ({ label: n, value: readFileSync(join(dirOf(runDir), n), 'utf8') }));
}

export interface SentinelHit {
  file: string;
  line: number;
  label: string;
  form: 'raw' | 'base64';
}

function walk(dir: string, pattern: RegExp, out: string[]): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, pattern, out);
    else if (e.isFile() && pattern.test(e.name)) out.push(p);
  }
  return out;
}

/** Every occurrence of any sentinel in files under `dir` whose names match `pattern`. */
export function scanForSentinels(dir: string, sentinels: { label: string; value: string }[], pattern = ESI_LOG_PATTERN): SentinelHit[] {
  const hits: SentinelHit[] = [];
  for (const file of walk(dir, pattern, [])) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const s of sentinels) {
      const forms: [SentinelHit['form'], string][] = [['raw', s.value], ['base64', Buffer.from(s.value).toString('base64')]];
      lines.forEach((text, i) => {
        for (const [form, needle] of forms) if (text.includes(needle)) hits.push({ file, line: i + 1, label: s.label, form });
      });
    }
  }
  return hits;
}

export function describeHits(hits: SentinelHit[]): string {
  return hits.map((h) => `${h.file}:${h.line} contains sentinel ${h.label} (${h.form})`).join('\n');
}
