import { describe, expect, it } from 'vitest';
import { demoCommand } from './demo.ts';

describe('esi demo', () => {
  it('injects the demo pod, syncs the files and rotates the password in place', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await demoCommand([], { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {} });
    const text = out.join('');
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(text).toMatch(/native sidecar/);
    // The agent's health server took a free loopback port, not the pod's fixed 8099 (which may be busy here).
    const port = Number(/health and metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(text)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(8099);
    expect(text).toMatch(/first complete sync after \d+ ms/);
    expect(text).toContain('password: demo-password-v1 -> demo-password-v2');
    expect(text).toMatch(/rotated in place in \d+ ms/);
  }, 60_000);
});
