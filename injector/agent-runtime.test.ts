// The agent container as a real node runs it: endpoint env through the allow-list, the health port
// (declared; per workload under hostNetwork), readiness on staleness when asked, the termination reason.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTerminationMessage } from '../agent/termination.ts';
import type { Container, Pod } from '../core/index.ts';
import { AGENT_NODE_OPTIONS, ENV, HEALTH } from '../contract/index.ts';
import { AGENT_ENV_ALLOWED, parseAgentEnvList } from './agent-env.ts';
import { injectPod, type InjectContext } from './inject.ts';
import { lookupFrom } from './resolve.ts';
import { denialOf } from '../test/helpers/injector-fixtures.ts';

const store = { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'fake', namespace: 'team' }, spec: { provider: { fake: { data: [{ key: 'k', value: 'v' }] } } } };
const es = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: 'team' }, spec: { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'p', remoteRef: { key: 'k' } }] } };
const ctx = (extra: Partial<InjectContext> = {}): InjectContext => ({ eso: lookupFrom([store, es] as never), ...extra });

function pod(annotations: Record<string, string> = {}, spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = { name: 'p' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'team', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db', ...annotations }, ...meta },
    spec: { containers: [{ name: 'app', image: 'a' }], ...spec },
  };
}
const agents = (p: Pod): Container[] => [...(p.spec.initContainers ?? []), ...p.spec.containers].filter((c) => c.name.startsWith('esi-agent'));
const sidecar = (p: Pod) => agents(p).find((c) => c.name === 'esi-agent')!;
const env = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const denial = denialOf;

describe('agent endpoint env', () => {
  it('copies the AWS SDK endpoint variables from the app containers, like identity', () => {
    const p = injectPod(pod({}, { containers: [{ name: 'app', image: 'a', env: [{ name: 'AWS_ENDPOINT_URL_SECRETS_MANAGER', value: 'https://sm.vpce' }, { name: 'NODE_OPTIONS', value: '--inspect' }] }] }), ctx()).pod;
    expect(env(sidecar(p))['AWS_ENDPOINT_URL_SECRETS_MANAGER']).toBe('https://sm.vpce');
    // the app's NODE_OPTIONS stays the app's: the agent runs with esi's own
    expect(env(sidecar(p))['NODE_OPTIONS']).toBe(AGENT_NODE_OPTIONS);
  });

  it('gives every agent container esi\'s NODE_OPTIONS (a small V8 young generation: less idle RSS)', () => {
    const p = injectPod(pod({ 'esi.dev/mode': 'both' }), ctx({ cluster: { nativeSidecars: false } })).pod; // an init agent and a classic sidecar
    expect(agents(p).length).toBeGreaterThanOrEqual(2);
    for (const c of agents(p)) expect(env(c)['NODE_OPTIONS']).toBe(AGENT_NODE_OPTIONS);
  });

  it('layers the cluster default, the app env and esi.dev/agent-env, the pod annotation last', () => {
    const p = injectPod(
      pod({ 'esi.dev/agent-env': 'AWS_USE_FIPS_ENDPOINT=true, AWS_ENDPOINT_URL=https://pod' }, { containers: [{ name: 'app', image: 'a', env: [{ name: 'AWS_ENDPOINT_URL', value: 'https://app' }, { name: 'AWS_ENDPOINT_URL_STS', value: 'https://app-sts' }] }] }),
      ctx({ defaults: { agentEnv: { AWS_ENDPOINT_URL_STS: 'https://cluster-sts', ESI_LOG_LEVEL: 'debug' } } }),
    ).pod;
    const e = env(sidecar(p));
    expect(e['AWS_ENDPOINT_URL']).toBe('https://pod');
    expect(e['AWS_ENDPOINT_URL_STS']).toBe('https://app-sts');
    expect(e['AWS_USE_FIPS_ENDPOINT']).toBe('true');
    expect(e['ESI_LOG_LEVEL']).toBe('debug');
  });

  it.each([
    ['NODE_OPTIONS=--require=/x.js', 'NODE_OPTIONS is not an agent setting a pod may change'],
    ['AWS_ENDPOINT_URL', 'is not NAME=VALUE'],
    [',', 'give NAME=VALUE pairs'],
  ])('denies esi.dev/agent-env %j naming the annotation', (raw, text) => {
    const d = denial(() => injectPod(pod({ 'esi.dev/agent-env': raw }), ctx()));
    expect(d.annotation).toBe('esi.dev/agent-env');
    expect(d.message).toContain(text);
  });

  it('refuses a cluster-wide agent env outside the allow-list, naming the flag', () => {
    expect(parseAgentEnvList(['AWS_ENDPOINT_URL=https://x'], '--agent-env')).toEqual({ AWS_ENDPOINT_URL: 'https://x' });
    expect(() => parseAgentEnvList(['LD_PRELOAD=/x.so'], '--agent-env')).toThrow(`--agent-env: LD_PRELOAD is not an agent setting esi passes on; allowed: ${AGENT_ENV_ALLOWED.join(', ')}`);
    expect(() => parseAgentEnvList(['novalue'], '--agent-env')).toThrow('--agent-env: "novalue" is not NAME=VALUE');
  });
});

describe('agent health port', () => {
  it('declares the port on the sidecar and passes it in its env; the init agent serves none', () => {
    const p = injectPod(pod(), ctx({ cluster: { nativeSidecars: false } })).pod;
    const init = agents(p).find((c) => c.name === 'esi-agent-init')!;
    expect(init.ports).toBeUndefined();
    expect(env(init)[ENV.healthAddr]).toBeUndefined();
    expect(sidecar(p).ports).toEqual([{ name: HEALTH.portName, containerPort: HEALTH.port, protocol: 'TCP' }]);
    expect(env(sidecar(p))[ENV.healthAddr]).toBe(`0.0.0.0:${HEALTH.port}`);
  });

  it('picks a stable port per workload for hostNetwork pods, avoiding the ports the pod declares', () => {
    const port = (p: Pod) => sidecar(p).ports![0]!.containerPort;
    const a1 = injectPod(pod({}, { hostNetwork: true }, { generateName: 'web-7d9f-' }), ctx()).pod;
    const a2 = injectPod(pod({}, { hostNetwork: true }, { generateName: 'web-7d9f-' }), ctx()).pod;
    const b = injectPod(pod({}, { hostNetwork: true }, { generateName: 'api-5c4b-' }), ctx()).pod;
    expect(port(a1)).toBe(port(a2));
    expect(port(a1)).not.toBe(port(b));
    expect(port(a1)).toBeGreaterThanOrEqual(HEALTH.hostNetworkRange.first);
    expect(port(a1)).toBeLessThan(HEALTH.hostNetworkRange.first + HEALTH.hostNetworkRange.count);
    expect(sidecar(a1).startupProbe?.httpGet?.port).toBe(port(a1));
    const taken = port(a1);
    const avoiding = injectPod(pod({}, { hostNetwork: true, containers: [{ name: 'app', image: 'a', ports: [{ containerPort: taken }] }] }, { generateName: 'web-7d9f-' }), ctx()).pod;
    expect(port(avoiding)).not.toBe(taken);
    // reinvocation keeps it
    expect(injectPod(a1, ctx()).patch).toEqual([]);
  });

  it.each(['80', '10250', '70000', 'http'])('denies esi.dev/agent-port %j', (raw) => {
    expect(denial(() => injectPod(pod({ 'esi.dev/agent-port': raw }), ctx())).message).toContain('esi.dev/agent-port: ');
  });
});

describe('readiness and termination', () => {
  it('adds a readiness probe on /readyz only with esi.dev/unready-when-stale, native or classic sidecar', () => {
    expect(sidecar(injectPod(pod(), ctx()).pod).readinessProbe).toBeUndefined();
    for (const nativeSidecars of [true, false]) {
      const c = sidecar(injectPod(pod({ 'esi.dev/unready-when-stale': 'true' }), ctx({ cluster: { nativeSidecars } })).pod);
      expect(c.readinessProbe?.httpGet).toEqual({ path: HEALTH.readyPath, port: HEALTH.port });
    }
    expect(denial(() => injectPod(pod({ 'esi.dev/unready-when-stale': 'true', 'esi.dev/mode': 'init' }), ctx())).annotation).toBe('esi.dev/unready-when-stale');
  });

  it('passes esi.dev/stale-after to the agent as its staleness bound, and denies a bound under 1s', () => {
    const config = (p: Pod) => JSON.parse(p.metadata.annotations!['esi.dev/agent-config']!) as { staleAfter?: string };
    expect(config(injectPod(pod(), ctx()).pod).staleAfter).toBeUndefined();
    expect(config(injectPod(pod({ 'esi.dev/stale-after': ' 90s ' }), ctx()).pod).staleAfter).toBe('90s');
    for (const raw of ['0', '500ms', 'soon', '-5s']) {
      const d = denial(() => injectPod(pod({ 'esi.dev/stale-after': raw }), ctx()));
      expect(d.annotation).toBe('esi.dev/stale-after');
      expect(d.message).toContain('give a duration of at least 1s');
    }
  });

  it('sets FallbackToLogsOnError on every agent container', () => {
    const p = injectPod(pod(), ctx({ cluster: { nativeSidecars: false } })).pod;
    expect(agents(p).map((c) => c.terminationMessagePolicy)).toEqual(['FallbackToLogsOnError', 'FallbackToLogsOnError']);
  });

  it('writes the termination message into the file the kubelet made, and never creates one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esi-term-'));
    const file = join(dir, 'termination-log');
    await writeFile(file, 'stale text that is longer than the message');
    expect(writeTerminationMessage('esi agent: first sync failed', file)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('esi agent: first sync failed');
    expect(writeTerminationMessage('x', join(dir, 'absent'))).toBe(false);
    await expect(readFile(join(dir, 'absent'))).rejects.toThrow();
  });
});

describe('agent endpoint env comes from the provider table', () => {
  it('allows every endpoint variable a provider reads, e.g. ESO\'s AWS_SSM_ENDPOINT for Parameter Store', () => {
    const p = injectPod(pod({ 'esi.dev/agent-env': 'AWS_SSM_ENDPOINT=https://ssm.vpce' }), ctx()).pod;
    expect(env(sidecar(p))['AWS_SSM_ENDPOINT']).toBe('https://ssm.vpce');
  });
});
