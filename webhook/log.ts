/** JSON-lines logging for the webhook: one line per event, a `msg`, a level and context fields. */
export interface WebhookLogger {
  info(msg: string, fields: Record<string, unknown>): void;
  warn(msg: string, fields: Record<string, unknown>): void;
  error(msg: string, fields: Record<string, unknown>): void;
}

export function jsonLogger(write: (line: string) => void, base: Record<string, unknown> = { component: 'esi-webhook' }): WebhookLogger {
  const line = (level: string) => (msg: string, fields: Record<string, unknown>) =>
    write(JSON.stringify({ level, time: new Date().toISOString(), ...base, msg, ...fields }) + '\n');
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

export const silentLogger: WebhookLogger = { info: () => {}, warn: () => {}, error: () => {} };
