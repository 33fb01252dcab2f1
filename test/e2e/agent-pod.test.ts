// The whole path a pod takes, without a kubelet: a Deployment injected by the injector (as the webhook
// or `esi inject` would), then `esi agent --pod <injected manifest> --root DIR` with only what the pod
// gives the agent — its config annotation, its env, and the projected Vault token materialised under
// DIR at the path the injector mounts it — against the real OpenBao doing Kubernetes auth.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { agentCommand } from '../../cli/commands/agent.ts';
import type { KubeObject } from '../../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../../contract/index.ts';
import { injectManifests } from '../../injector/index.ts';
import { VAULT_AUDIENCE, createServiceAccountToken, freshNamespace, harness, putBaoKubernetesRole, putBaoPolicy, putBaoSecret, scratchPath, sentinel, sha256 } from '../harness/index.ts';

let ns: string;
beforeAll(async () => {
  ns = await freshNamespace('agent-pod');
  await putBaoPolicy(`${ns}-read`, `path "secret/data/${ns}/*" { capabilities = ["read"] }`);
  await putBaoKubernetesRole(`${ns}-app`, { namespaces: [ns], serviceAccounts: ['app'], policies: [`${ns}-read`], audience: VAULT_AUDIENCE });
});

test('esi agent --pod runs the injected pod\'s agent: files under --root at the pod\'s mount path', async () => {
  const password = sentinel('agent-pod-pw');
  await putBaoSecret('secret', `${ns}/db`, { username: 'app', password });
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: ns },
    spec: {
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } },
        spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'app:1' }] },
      },
    },
  };
  const eso: KubeObject[] = [
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'bao', namespace: ns },
      spec: { provider: { vault: { server: harness().baoUrl, path: 'secret', version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes', role: `${ns}-app`, serviceAccountRef: { name: 'app', audiences: [VAULT_AUDIENCE] } } } } } },
    },
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'db', namespace: ns },
      spec: {
        secretStoreRef: { name: 'bao', kind: 'SecretStore' },
        refreshInterval: '1h',
        data: [
          { secretKey: 'username', remoteRef: { key: `${ns}/db`, property: 'username' } },
          { secretKey: 'password', remoteRef: { key: `${ns}/db`, property: 'password' } },
        ],
      },
    },
  ];
  const [injected] = injectManifests([deployment], eso);
  const template = (injected as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template;
  const config = JSON.parse(template.metadata.annotations[AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
  expect(config.serviceAccountTokens?.vault).toBeTruthy();
  const podFile = scratchPath(`agent-pod-${ns}.yaml`);
  writeFileSync(podFile, stringify(injected));

  // What the kubelet would mount: the projected token (a real TokenRequest for the pod's service account).
  const root = await mkdtemp(scratchPath('agent-pod-root-'));
  const tokenPath = join(root, config.serviceAccountTokens!.vault!);
  mkdirSync(dirname(tokenPath), { recursive: true });
  writeFileSync(tokenPath, await createServiceAccountToken(ns, 'app', [VAULT_AUDIENCE], 3600), { mode: 0o600 });

  const err: string[] = [];
  const code = await agentCommand(['--pod', podFile, '--root', root, '--once'], {
    stdout: () => undefined,
    stderr: (t) => void err.push(t),
    env: { ESI_LOG_LEVEL: 'silent' },
  });
  expect(code, err.join('')).toBe(0);
  const dir = join(root, config.mountPath, 'db');
  expect(sha256(await readFile(join(dir, 'password')))).toBe(sha256(password));
  expect(await readFile(join(dir, 'username'), 'utf8')).toBe('app');
});
