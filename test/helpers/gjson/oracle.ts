/**
 * Test-only client for test/go/gjson-oracle: one Go process running the real gjson v1.18.0 and
 * encoding/json, fed whole batches of requests as JSON lines. Byte strings travel base64-encoded.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildGoHelper } from '../../harness/go-helper.ts';

export type OracleOp = 'get' | 'marshal' | 'awsProperty' | 'fakeProperty' | 'awsMap' | 'vaultGet' | 'vaultMap' | 'formatFloat';

export interface OracleRequest {
  op: OracleOp;
  json: Uint8Array | string;
  path?: string;
  useNumber?: boolean;
  escape?: boolean;
}

export interface OracleAnswer {
  exists?: boolean;
  type?: string;
  raw?: string;
  str?: string;
  string?: string;
  num?: string;
  out?: string;
  found?: boolean;
  map?: Record<string, string>;
  err?: string;
}

export class Oracle {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  #waiter: (() => void) | undefined;

  private constructor(proc: ChildProcessWithoutNullStreams) {
    this.#proc = proc;
    createInterface({ input: proc.stdout }).on('line', (l) => {
      this.#lines.push(l);
      this.#waiter?.();
    });
  }

  static async start(): Promise<Oracle> {
    const bin = await buildGoHelper('gjson-oracle');
    return new Oracle(spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  async run(reqs: OracleRequest[]): Promise<OracleAnswer[]> {
    const start = this.#lines.length;
    const body = reqs
      .map((r) =>
        JSON.stringify({
          op: r.op,
          json: Buffer.from(typeof r.json === 'string' ? Buffer.from(r.json, 'utf8') : r.json).toString('base64'),
          path: r.path ?? '',
          useNumber: r.useNumber ?? false,
          escape: r.escape ?? true,
        }),
      )
      .join('\n');
    this.#proc.stdin.write(body + '\n');
    while (this.#lines.length < start + reqs.length) {
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    return this.#lines.slice(start, start + reqs.length).map((l) => JSON.parse(l) as OracleAnswer);
  }

  stop(): void {
    this.#proc.stdin.end();
    this.#proc.kill();
  }
}

export const b64 = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('base64') : '');

/** Go's strconv.FormatFloat(f, 'g', -1, 64) text back to a number. */
export function goNum(s: string | undefined): number {
  if (s === undefined) return 0;
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}
