import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EsiError } from '../core/index.ts';
import { ENV_KUBECONFIG, inClusterAccess, kubeClientFromEnv, kubeconfigAccess } from './index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esi-kube-access-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Two contexts: the current one must win over the first. */
function kubeconfig(user: string, cluster = 'server: "https://127.0.0.1:6443"'): string {
  return `apiVersion: v1
kind: Config
current-context: second
contexts:
- {name: first, context: {cluster: other, user: nobody}}
- {name: second, context: {cluster: c, user: u}}
clusters:
- {name: other, cluster: {server: "https://10.9.9.9:1"}}
- name: c
  cluster: {${cluster}}
users:
- {name: nobody, user: {token: wrong}}
- name: u
  user: {${user}}
`;
}

describe('kubeconfigAccess', () => {
  it('reads client certificate, key and CA files of the current context, relative to the kubeconfig', async () => {
    await mkdir(join(dir, 'pki'));
    await writeFile(join(dir, 'pki', 'ca.crt'), 'CA-PEM');
    await writeFile(join(dir, 'pki', 'admin.crt'), 'CERT-PEM');
    await writeFile(join(dir, 'admin.key'), 'KEY-PEM');
    await writeFile(
      join(dir, 'kubeconfig'),
      kubeconfig(`client-certificate: pki/admin.crt, client-key: ${join(dir, 'admin.key')}`, 'server: "https://127.0.0.1:6443", certificate-authority: pki/ca.crt'),
    );
    const a = await kubeconfigAccess(join(dir, 'kubeconfig'));
    expect(a).toEqual({ server: 'https://127.0.0.1:6443', ca: Buffer.from('CA-PEM'), cert: Buffer.from('CERT-PEM'), key: Buffer.from('KEY-PEM') });
  });

  it('reads the -data forms, a token and insecure-skip-tls-verify; data wins over a file', async () => {
    await writeFile(
      join(dir, 'kubeconfig'),
      kubeconfig(
        `client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}, token: tok-1`,
        `server: "https://127.0.0.1:6443", certificate-authority-data: ${b64('CA')}, certificate-authority: /nonexistent/ca.crt, insecure-skip-tls-verify: true`,
      ),
    );
    const a = await kubeconfigAccess(join(dir, 'kubeconfig'));
    expect(a).toEqual({ server: 'https://127.0.0.1:6443', ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY'), token: 'tok-1', insecure: true });
  });

  it('resolves a relative tokenFile against the kubeconfig directory (read later, by the client)', async () => {
    await writeFile(join(dir, 'kubeconfig'), kubeconfig('tokenFile: tokens/sa'));
    const a = await kubeconfigAccess(join(dir, 'kubeconfig'));
    expect(a).toEqual({ server: 'https://127.0.0.1:6443', tokenFile: join(dir, 'tokens', 'sa') });
  });

  it('without current-context uses the first context', async () => {
    await writeFile(join(dir, 'kubeconfig'), kubeconfig('token: t').replace('current-context: second\n', ''));
    const a = await kubeconfigAccess(join(dir, 'kubeconfig'));
    expect(a).toEqual({ server: 'https://10.9.9.9:1', token: 'wrong' });
  });

  it('says which file and field is wrong, never quoting the file', async () => {
    const p = join(dir, 'kubeconfig');
    await writeFile(p, kubeconfig('client-certificate: missing.crt, client-key: missing.key'));
    await expect(kubeconfigAccess(p)).rejects.toThrow(`kubeconfig ${p}: client-certificate ${join(dir, 'missing.crt')}: ENOENT`);

    await writeFile(p, kubeconfig('token: t', 'insecure-skip-tls-verify: true'));
    await expect(kubeconfigAccess(p)).rejects.toThrow(`kubeconfig ${p}: no cluster server for context "second"`);

    await writeFile(p, kubeconfig('exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}'));
    await expect(kubeconfigAccess(p)).rejects.toThrow(/user "u": exec and auth-provider credentials are not supported/);

    // Broken YAML right after a token: the parser's error context would quote it.
    await writeFile(p, 'users:\n- name: u\n  user: {token: CANARY-TOKEN-7f3a\n  bad: [\n');
    const err = await kubeconfigAccess(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EsiError);
    expect((err as EsiError).code).toBe('kubeconfig');
    expect((err as Error).message).toMatch(new RegExp(`^kubeconfig ${p}: `));
    expect((err as Error).message).toMatch(/at line \d+, column \d+/); // the parser's own first line
    expect((err as Error).message).not.toContain('CANARY-TOKEN-7f3a');

    await expect(kubeconfigAccess(join(dir, 'absent'))).rejects.toThrow(/^kubeconfig .*absent: ENOENT/);
  });
});

describe('inClusterAccess', () => {
  it('uses the service host/port, the CA and the token file of the service-account directory', async () => {
    await writeFile(join(dir, 'ca.crt'), 'CA');
    expect(inClusterAccess({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '6443' }, dir)).toEqual({
      server: 'https://10.0.0.1:6443',
      ca: Buffer.from('CA'),
      tokenFile: join(dir, 'token'),
    });
    expect(inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, dir)?.server).toBe('https://[fd00::1]:443');
  });

  it('is undefined outside a cluster, and has no CA when ca.crt is missing', () => {
    expect(inClusterAccess({})).toBeUndefined();
    expect(inClusterAccess({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, join(dir, 'none'))).toEqual({ server: 'https://10.0.0.1:443', tokenFile: join(dir, 'none', 'token') });
  });
});

describe('kubeClientFromEnv', () => {
  it('prefers the cluster, then ESI_KUBECONFIG, then the first KUBECONFIG entry', async () => {
    await writeFile(join(dir, 'a'), kubeconfig('token: a', 'server: "https://a.example:1"'));
    await writeFile(join(dir, 'b'), kubeconfig('token: b', 'server: "https://b.example:1"'));
    const inCluster = await kubeClientFromEnv({ KUBERNETES_SERVICE_HOST: '10.0.0.1', [ENV_KUBECONFIG]: join(dir, 'a') }, { saDir: dir });
    expect(inCluster?.access.server).toBe('https://10.0.0.1:443');
    expect((await kubeClientFromEnv({ [ENV_KUBECONFIG]: join(dir, 'a'), KUBECONFIG: join(dir, 'b') }))?.access.server).toBe('https://a.example:1');
    expect((await kubeClientFromEnv({ KUBECONFIG: `${join(dir, 'b')}:${join(dir, 'a')}` }))?.access.token).toBe('b');
    expect(await kubeClientFromEnv({})).toBeUndefined();
  });
});

it('kube/ imports the YAML parser only lazily (an agent in a pod never loads it)', async () => {
  const here = new URL('.', import.meta.url).pathname;
  const sources = (await readdir(here)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(sources).toContain('index.ts');
  for (const f of sources) {
    const text = await readFile(join(here, f), 'utf8');
    expect(text, f).not.toMatch(/^\s*import\s[^;]*from\s+['"]yaml['"]/m);
  }
  expect(await readFile(join(here, 'access.ts'), 'utf8')).toMatch(/await import\('yaml'\)/);
});
