/** Runs templates through Go's text/template + sprig (test/go/template-oracle) in one process. */
import { spawnSync } from 'node:child_process';
import { buildGoHelper } from '../../../test/harness/go-helper.ts';

export interface OracleRequest {
  template: string;
  data: Record<string, Uint8Array>;
  name?: string;
  /** `kv`: parse `template` as YAML into map[string]string (ESO's KeysAndValues scope). */
  mode?: 'kv';
}

export type OracleResult = { output: Uint8Array } | { error: string };

export async function oracleBinary(): Promise<string> {
  return buildGoHelper('template-oracle');
}

export function runOracle(bin: string, reqs: OracleRequest[]): OracleResult[] {
  const input = reqs
    .map((r) =>
      JSON.stringify({
        mode: r.mode ?? '',
        name: r.name ?? 't',
        template: r.template,
        data: Object.fromEntries(Object.entries(r.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      }),
    )
    .join('\n');
  const res = spawnSync(bin, { input: input + '\n', maxBuffer: 1 << 30, timeout: 600_000 });
  if (res.status !== 0) throw new Error(`template-oracle failed: ${res.stderr?.toString().slice(0, 2000)}`);
  const lines = res.stdout.toString('utf8').split('\n').filter((l) => l.length > 0);
  if (lines.length !== reqs.length) throw new Error(`template-oracle answered ${lines.length} of ${reqs.length} requests`);
  return lines.map((l) => {
    const r = JSON.parse(l) as { output?: string; error?: string };
    if (r.output !== undefined) return { output: new Uint8Array(Buffer.from(r.output, 'base64')) };
    return { error: r.error ?? '' };
  });
}
