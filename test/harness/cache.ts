import { homedir } from 'node:os';
import { join } from 'node:path';

/** Root of everything the harness builds or downloads once and reuses: binaries, venvs, Go helpers. */
export function cacheRoot(): string {
  return process.env['ESI_E2E_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'esi-e2e');
}
