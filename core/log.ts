/**
 * esi's one log: the agent, the webhook and the CLI's long-running commands write JSON lines, one per event,
 * `{"level":30,"time":<ms>,<bindings>,<fields>,"msg":…}`, with pino's numeric levels and field order.
 * Written synchronously to a destination (the command's stdout or stderr). A logging library would cost
 * every pod more start-up time and memory than this whole module (bench/peers measures it).
 * Call sites log names, keys, paths and codes, never values; as a backstop a byte array (the form secret
 * values take: eso's SecretDataMap, file contents) in a field is written as "[REDACTED]".
 */

/** The logging surface of esi's components and providers; a pino logger has it too (tests may pass one). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  debug(msg: string): void;
  info(obj: object, msg?: string): void;
  info(msg: string): void;
  warn(obj: object, msg?: string): void;
  warn(msg: string): void;
  error(obj: object, msg?: string): void;
  error(msg: string): void;
  child(bindings: Record<string, unknown>): Logger;
  flush?(): void;
}

/** pino's level numbers (https://getpino.io/#/docs/api?id=levels); `silent` logs nothing. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LevelName = keyof typeof LEVELS;

/** An Error as pino's err serializer writes it: type, message, stack; bytes never. */
function plain(value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer ? '[REDACTED]' : value;
}

/** `{"a":1}` → `,"a":1` (empty for `{}`): fragments concatenate into one object, as pino's bindings do. */
function fragment(fields: object): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = plain(v);
  const s = JSON.stringify(out);
  return s.length > 2 ? `,${s.slice(1, -1)}` : '';
}

export function jsonLogger(o: { level?: string; base?: Record<string, unknown>; write: (line: string) => void; now?: () => number }): Logger {
  const name = (o.level ?? 'info') as LevelName;
  if (!(name in LEVELS)) throw new Error(`log level: expected one of ${Object.keys(LEVELS).join(', ')}, got ${JSON.stringify(o.level)}`);
  const threshold = LEVELS[name];
  const now = o.now ?? Date.now;
  const make = (bindings: string): Logger => {
    const at = (level: number) => (objOrMsg: object | string, msg?: string) => {
      if (level < threshold) return;
      const [fields, text] = typeof objOrMsg === 'string' ? ['', objOrMsg] : [fragment(objOrMsg), msg];
      o.write(`{"level":${level},"time":${now()}${bindings}${fields}${text === undefined ? '' : `,"msg":${JSON.stringify(text)}`}}\n`);
    };
    return {
      debug: at(LEVELS.debug),
      info: at(LEVELS.info),
      warn: at(LEVELS.warn),
      error: at(LEVELS.error),
      child: (more) => make(bindings + fragment(more)),
      flush: () => undefined,
    };
  };
  return make(fragment(o.base ?? {}));
}

/** Logs nothing (tests, and callers that want quiet). */
export const silentLogger: Logger = jsonLogger({ level: 'silent', write: () => undefined });
