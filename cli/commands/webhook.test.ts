import { describe, expect, it } from 'vitest';
import { main } from '../main.ts';

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(['webhook', ...argv], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  return { code, stdout, stderr };
}

describe('esi webhook', () => {
  it('documents its endpoints and flags', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: esi webhook --tls-cert FILE --tls-key FILE \[--port 8443\] \[--kubeconfig FILE\]/);
    for (const s of ['POST /mutate', '/healthz', '/readyz', '/metrics']) expect(r.stdout).toContain(s);
  });

  it('refuses to start without TLS files or with bad values, with a one-line reason', async () => {
    const missing = await run([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('esi webhook: --tls-cert FILE and --tls-key FILE are required (see esi webhook --help)\n');
    const port = await run(['--tls-cert', 'a', '--tls-key', 'b', '--port', 'http']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port "http": expected a port number/);
    const native = await run(['--tls-cert', 'a', '--tls-key', 'b', '--native-sidecars', 'maybe']);
    expect(native.stderr).toMatch(/--native-sidecars "maybe": use auto, true or false/);
    expect((await run(['--tls-cert', 'a', '--tls-key', 'b', '--leader-elect', 'yes'])).stderr).toMatch(/--leader-elect "yes": use true or false/);
    expect((await run(['--tls-cert', 'a', '--tls-key', 'b', '--kube-api-qps', '0'])).stderr).toMatch(/--kube-api-qps "0": expected a positive number/);
    expect((await run(['--tls-cert', 'a', '--tls-key', 'b', '--namespace-selector', 'team'])).stderr).toMatch(/--namespace-selector "team": expected label=value pairs/);
    expect((await run(['--tls-cert', 'a', '--tls-key', 'b', '--kube-api-burst', '0'])).stderr).toMatch(/--kube-api-burst "0": expected a whole number >= 1/);
    expect((await run(['--tls-cert', 'a', '--tls-key', 'b', '--leader-election-lease-duration', 'soon'])).stderr).toMatch(/--leader-election-lease-duration "soon": expected a duration such as 8s/);
    expect((await run(['--tls-cert', 'a', '--tls-key', 'b', '--leader-election-renew-deadline', '9s'])).stderr).toMatch(/leaseDuration must be greater than renewDeadline/);
  });

  it('says why when there is no cluster to talk to', async () => {
    const r = await run(['--tls-cert', 'a', '--tls-key', 'b']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not in a cluster \(KUBERNETES_SERVICE_HOST is unset\) and no --kubeconfig given/);
  });
});
