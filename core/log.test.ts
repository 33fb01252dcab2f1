import { describe, expect, it } from 'vitest';
import { jsonLogger } from './log.ts';

function capture(level = 'info') {
  const lines: string[] = [];
  const log = jsonLogger({ level, base: { component: 'esi-agent' }, write: (l) => void lines.push(l), now: () => 1700000000123 });
  return { log, lines };
}

describe('agent JSON log lines', () => {
  it('writes one line per event: numeric level, epoch-ms time, bindings, fields, then msg (the format the agent has always logged)', () => {
    const { log, lines } = capture();
    log.info({ externalSecrets: ['app'], skipped: undefined }, 'first complete sync done');
    log.child({ component: 'provider' }).warn({ store: 'SecretStore/bao' }, 'retrying');
    log.error('plain message');
    expect(lines).toEqual([
      '{"level":30,"time":1700000000123,"component":"esi-agent","externalSecrets":["app"],"msg":"first complete sync done"}\n',
      '{"level":40,"time":1700000000123,"component":"esi-agent","component":"provider","store":"SecretStore/bao","msg":"retrying"}\n',
      '{"level":50,"time":1700000000123,"component":"esi-agent","msg":"plain message"}\n',
    ]);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('drops events below the level; silent drops all', () => {
    const warn = capture('warn');
    warn.log.info('no');
    warn.log.debug({ a: 1 }, 'no');
    warn.log.warn('yes');
    expect(warn.lines.map((l) => JSON.parse(l).msg)).toEqual(['yes']);
    const silent = capture('silent');
    silent.log.error('no');
    expect(silent.lines).toEqual([]);
    const debug = capture('debug');
    debug.log.debug('yes');
    expect(debug.lines).toHaveLength(1);
  });

  it('refuses an unknown level with the levels it knows', () => {
    expect(() => capture('loud')).toThrow('log level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"');
  });

  it('never writes a secret value: byte fields serialize redacted; errors as type and message', () => {
    const { log, lines } = capture();
    log.info({ value: Buffer.from('hunter2'), bytes: new TextEncoder().encode('hunter2'), err: new TypeError('bad input') }, 'm');
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).toContain('[REDACTED]');
    expect(JSON.parse(lines[0]!).err).toMatchObject({ type: 'TypeError', message: 'bad input' });
  });
});
