import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectCommand } from './inject.ts';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await injectCommand(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  template:
    metadata:
      labels: {esi.dev/inject: "true"}
      annotations: {esi.dev/external-secrets: db}
    spec:
      containers: [{name: app, image: example/app:1}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: plain, namespace: app}
`;
const eso = `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: app}
spec: {provider: {fake: {data: [{key: k, value: CANARY-not-a-secret}]}}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db, namespace: app}
spec:
  secretStoreRef: {name: fake}
  data: [{secretKey: password, remoteRef: {key: k}}]
`;

describe('esi inject', () => {
  async function files() {
    const dir = await mkdtemp(join(tmpdir(), 'esi-inject-'));
    await writeFile(join(dir, 'app.yaml'), manifests);
    await writeFile(join(dir, 'eso.yaml'), eso);
    return dir;
  }

  it('prints the manifests with every opted-in template injected (yaml)', async () => {
    const dir = await files();
    const r = await run(['-f', join(dir, 'app.yaml'), '-f', join(dir, 'eso.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'ConfigMap']);
    expect(docs[0].spec.template.spec.initContainers[0].name).toBe('esi-agent');
    expect(docs[0].spec.template.spec.initContainers[0].restartPolicy).toBe('Always');
  });

  it('takes the cluster facts from a flag and prints json', async () => {
    const dir = await files();
    const r = await run(['-f', join(dir, 'app.yaml'), '-f', join(dir, 'eso.yaml'), '-o', 'json', '--kubernetes-version', 'v1.28.3']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.kind).toBe('List');
    expect(list.items[0].spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['app', 'esi-agent']);
    const native = JSON.parse((await run(['-f', join(dir, 'app.yaml'), '-f', join(dir, 'eso.yaml'), '-o', 'json', '--native-sidecars', 'false'])).stdout);
    expect(native.items[0].spec.template.spec.containers).toHaveLength(2);
  });

  it('fails with a one-line reason naming the annotation', async () => {
    const dir = await files();
    const r = await run(['-f', join(dir, 'app.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('esi inject: Deployment web: esi.dev/external-secrets: ExternalSecret "db" not found in namespace "app"; create it there (esi reads ExternalSecrets from the pod\'s own namespace only) or fix the name\n');
  });

  it('shows help and rejects bad usage', async () => {
    expect((await run(['--help'])).stdout).toMatch(/^Usage: esi inject -f MANIFESTS/);
    expect((await run([])).code).toBe(2);
    const bad = await run(['-f', 'x', '-o', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/-o "xml": use yaml or json/);
    expect((await run(['--bogus'])).code).toBe(2);
  });
});
