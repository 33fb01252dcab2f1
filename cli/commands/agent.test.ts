import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AGENT_CONFIG_ANNOTATION } from '../../contract/index.ts';
import { fakeConfig } from '../../test/helpers/agent-fixtures.ts';
import { agentCommand, podAgentSetup } from './agent.ts';
import type { CliIO } from '../io.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esi-cli-agent-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: { ESI_LOG_LEVEL: 'silent', ...env } };
}

function injectedDeployment(config = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw' }] })) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: 'default' },
    spec: {
      template: {
        metadata: { annotations: { [AGENT_CONFIG_ANNOTATION]: JSON.stringify(config) } },
        spec: {
          serviceAccountName: 'app',
          initContainers: [
            {
              name: 'esi-agent',
              image: 'esi',
              args: ['agent', '--config', '/var/run/esi/config/agent-config', '--mode', 'sidecar'],
              env: [
                { name: 'AWS_REGION', value: 'eu-west-1' },
                { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
                { name: 'ESI_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'aws', key: 'secret' } } },
              ],
            },
          ],
          containers: [{ name: 'app', image: 'app' }],
        },
      },
    },
  };
}

describe('esi agent', () => {
  it('--help prints both forms', async () => {
    const i = io();
    expect(await agentCommand(['--help'], i)).toBe(0);
    expect(i.out.join('')).toContain('esi agent --config FILE');
    expect(i.out.join('')).toContain('esi agent --pod FILE [--root DIR]');
  });

  it.each([
    [[], /exactly one of --config FILE or --pod FILE/],
    [['--config', 'a', '--pod', 'b'], /exactly one of/],
    [['--config', 'a', '--mode', 'both'], /--mode: expected init or sidecar/],
    [['--config', 'a', '--root', 'x'], /--root goes with --pod/],
    [['--config', 'a', '--listen', 'nope'], /--listen: expected HOST:PORT or off/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('rejects %j with a usage error', async (argv, re) => {
    await expect(agentCommand(argv as string[], io())).rejects.toThrow(re);
  });

  it('--config --mode init writes the files and exits 0', async () => {
    const config = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw' }], mountPath: join(dir, 'mnt') });
    await writeFile(join(dir, 'cfg.json'), JSON.stringify(config));
    expect(await agentCommand(['--config', join(dir, 'cfg.json'), '--mode', 'init'], io())).toBe(0);
    expect(await readFile(join(dir, 'mnt', 'app', 'password'), 'utf8')).toBe('pw');
  });

  it('--pod --root runs the pod\'s agent from an injected manifest, once', async () => {
    await writeFile(join(dir, 'pod.yaml'), stringify(injectedDeployment()));
    const i = io();
    expect(await agentCommand(['--pod', join(dir, 'pod.yaml'), '--root', join(dir, 'root'), '--once'], i)).toBe(0);
    expect(await readFile(join(dir, 'root', 'var/run/secrets/esi', 'app', 'username'), 'utf8')).toBe('alice');
    expect(i.err.join('')).toContain("env AWS_SECRET_ACCESS_KEY comes from the cluster (Secret); using this environment's AWS_SECRET_ACCESS_KEY if set");
  });

  it('--pod takes the agent container\'s env, resolves fieldRefs, and points token paths under --root', async () => {
    await writeFile(join(dir, 'pod.yaml'), stringify(injectedDeployment()));
    const root = join(dir, 'root');
    await mkdir(join(root, 'var/run/secrets/eks.amazonaws.com/serviceaccount'), { recursive: true });
    await writeFile(join(root, 'var/run/secrets/eks.amazonaws.com/serviceaccount/token'), 'jwt');
    const { env, config } = await podAgentSetup(join(dir, 'pod.yaml'), root);
    expect(env).toEqual({
      AWS_REGION: 'eu-west-1',
      AWS_WEB_IDENTITY_TOKEN_FILE: join(root, 'var/run/secrets/eks.amazonaws.com/serviceaccount/token'),
      ESI_POD_NAMESPACE: 'default',
    });
    expect(config.externalSecrets[0]!.dir).toBe('app');
  });

  it('--pod on a manifest without injection says to run esi inject', async () => {
    const d = injectedDeployment();
    d.spec.template.metadata.annotations = {} as never;
    await writeFile(join(dir, 'pod.yaml'), stringify(d));
    await expect(agentCommand(['--pod', join(dir, 'pod.yaml'), '--once'], io())).rejects.toThrow(/no injected pod .* run esi inject first/);
  });
});
