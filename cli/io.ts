/**
 * What every CLI command gets: its streams and environment (never read process.* inside a command, so
 * tests run commands in-process), plus the small argument helpers they share.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EsiError } from '../core/index.ts';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT/SIGTERM by the process entry point. */
  signal?: AbortSignal;
}

export type Command = (argv: string[], io: CliIO) => Promise<number>;

export class UsageError extends EsiError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with esi's conventions: unknown flags and stray positionals are usage errors. */
export function parseFlags<O extends Options>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (e) {
    throw new UsageError(`esi ${command}: ${(e as Error).message.split('\n')[0]} (see esi ${command} --help)`);
  }
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
