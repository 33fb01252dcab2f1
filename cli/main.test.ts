import { describe, expect, it } from 'vitest';
import { main, usage } from './main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env: {} }, out, err };
}

describe('esi dispatcher', () => {
  it('prints the command list for --help and exits 0', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out.join('')).toBe(usage());
    for (const cmd of ['webhook', 'agent', 'inject', 'render', 'demo']) expect(usage()).toMatch(new RegExp(`^  ${cmd} `, 'm'));
  });

  it('exits 2 with a one-line reason for an unknown command', async () => {
    const c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err.join('')).toBe('esi: unknown command "frobnicate" (run esi --help)\n');
  });

  it('exits 2 and prints usage when no command is given', async () => {
    const c = capture();
    expect(await main([], c.io)).toBe(2);
    expect(c.out.join('')).toContain('Usage: esi <command>');
  });

  it.each(['webhook', 'agent', 'inject', 'render', 'demo'])('`esi %s --help` prints its usage and exits 0', async (cmd) => {
    const c = capture();
    expect(await main([cmd, '--help'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(new RegExp(`Usage:\\s+esi ${cmd}`));
    expect(c.err.join('')).toBe('');
  });

  it('reports an unknown flag as a one-line usage error with exit 2', async () => {
    const c = capture();
    expect(await main(['demo', '--no-such-flag'], c.io)).toBe(2);
    const err = c.err.join('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^esi demo: .*--no-such-flag/);
  });
});
