/**
 * The `.env`-style file for apps that `source` their secrets: one `NAME='value'` line per key, sorted,
 * POSIX-shell single-quoted (so `$`, backquotes and newlines are literal). Key → name: characters
 * outside [A-Za-z0-9_] become `_`, a leading digit gets a `_` prefix. Two keys that map to one name, or a
 * value with a NUL byte (no shell can hold it), fail the sync rather than write a wrong file.
 */
import { EsiError } from '../core/index.ts';
import type { SecretDataMap } from '../eso/index.ts';

export function envName(key: string): string {
  const n = key.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function envFileContent(data: SecretDataMap): Uint8Array {
  const lines: string[] = [];
  const seen = new Map<string, string>();
  for (const key of Object.keys(data).sort()) {
    const name = envName(key);
    const other = seen.get(name);
    if (other !== undefined) throw new EsiError('env-file', `env file: keys ${JSON.stringify(other)} and ${JSON.stringify(key)} both become variable ${name}`);
    seen.set(name, key);
    const bytes = data[key]!;
    if (bytes.includes(0)) throw new EsiError('env-file', `env file: the value of key ${JSON.stringify(key)} contains a NUL byte and cannot be written as a shell variable`);
    lines.push(`${name}=${shellQuote(Buffer.from(bytes).toString('utf8'))}`);
  }
  return Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
}
