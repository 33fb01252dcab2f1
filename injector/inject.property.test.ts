import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isObject, type Container, type Pod, type Volume } from '../core/index.ts';
import { applyPatch, injectPod, InjectionDenied, lookupFrom, podProblems, type InjectContext } from './index.ts';
import { externalSecret, NS, store } from '../test/helpers/injector-fixtures.ts';

const CONTAINER_NAMES = ['app', 'web', 'esi-agent', 'esi-agent-init', 'esi-agent-2', 'proxy'];
const VOLUME_NAMES = ['data', 'esi-secrets', 'esi-config', 'esi-secrets-2', 'esi-vault-token', 'cfg'];
const PATHS = ['/data', '/etc/cfg', '/var/run/secrets/esi', '/tmp', '/secrets'];

const objects = [
  store('fake'),
  store('vault', { vault: { server: 'https://vault:8200', auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'default', audiences: ['vault'] } } } } }),
  store('aws', { aws: { service: 'SecretsManager', region: 'eu-west-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'c', key: 'id' } } } } }),
  externalSecret('db', 'fake'),
  externalSecret('v', 'vault'),
  externalSecret('s', 'aws'),
];

const volume = (name: string, kind: number): Volume => (kind === 0 ? { name, emptyDir: {} } : kind === 1 ? { name, secret: { secretName: name } } : { name, emptyDir: { medium: 'Memory' } });

const arbPod = fc
  .record({
    containers: fc.uniqueArray(fc.constantFrom(...CONTAINER_NAMES), { minLength: 2, maxLength: 5 }),
    initCount: fc.nat(2),
    volumes: fc.uniqueArray(fc.constantFrom(...VOLUME_NAMES), { maxLength: 4 }),
    volumeKinds: fc.array(fc.nat(2), { minLength: 6, maxLength: 6 }),
    mounts: fc.array(fc.array(fc.tuple(fc.nat(5), fc.constantFrom(...PATHS)), { maxLength: 3 }), { minLength: 5, maxLength: 5 }),
    identity: fc.boolean(),
    restartPolicy: fc.constantFrom(undefined, 'Always', 'Never', 'OnFailure'),
    es: fc.subarray(['db', 'v', 's'], { minLength: 1 }),
    mode: fc.constantFrom(undefined, 'init', 'sidecar', 'both'),
    mountPath: fc.constantFrom(undefined, '/secrets', '/var/run/secrets/esi'),
    selectFirst: fc.boolean(),
    onChange: fc.constantFrom(undefined, 'http://127.0.0.1:8080/-/reload', 'signal:SIGHUP:'),
    otherAnnotations: fc.dictionary(fc.constantFrom('a.example/x', 'b', 'kubectl.kubernetes.io/restartedAt'), fc.string({ maxLength: 5 })),
    native: fc.boolean(),
    workloadKind: fc.constantFrom(undefined, 'Deployment', 'Job', 'CronJob'),
  })
  .map((r): { pod: Pod; ctx: InjectContext } => {
    const names = r.containers;
    const initNames = names.slice(0, Math.min(r.initCount, names.length - 1));
    const appNames = names.slice(initNames.length);
    const mk = (name: string, i: number): Container => {
      const c: Container = { name, image: `img/${name}` };
      const mounts: NonNullable<Container['volumeMounts']> = [];
      for (const [vi, path] of r.mounts[i % 5] ?? []) {
        const v = r.volumes[vi % Math.max(1, r.volumes.length)];
        if (v && !mounts.some((m) => m.mountPath === path)) mounts.push({ name: v, mountPath: path });
      }
      if (mounts.length > 0) c.volumeMounts = mounts;
      if (r.identity && i === 0) c.env = [{ name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::1:role/x' }, { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/tmp/token' }];
      return c;
    };
    const annotations: Record<string, string> = { ...r.otherAnnotations, 'esi.dev/external-secrets': r.es.join(',') };
    if (r.mode) annotations['esi.dev/mode'] = r.mode;
    if (r.mountPath) annotations['esi.dev/mount-path'] = r.mountPath;
    if (r.selectFirst) annotations['esi.dev/containers'] = appNames[0]!;
    if (r.onChange) annotations['esi.dev/on-change'] = r.onChange.endsWith(':') ? r.onChange + appNames[0] : r.onChange;
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: NS, labels: { 'esi.dev/inject': 'true' }, annotations },
      spec: {
        containers: appNames.map((n, i) => mk(n, i + initNames.length)),
        ...(initNames.length > 0 ? { initContainers: initNames.map((n, i) => mk(n, i)) } : {}),
        ...(r.volumes.length > 0 ? { volumes: r.volumes.map((v, i) => volume(v, r.volumeKinds[i] ?? 0)) } : {}),
        ...(r.restartPolicy ? { restartPolicy: r.restartPolicy } : {}),
      },
    };
    return { pod, ctx: { eso: lookupFrom(objects), cluster: { nativeSidecars: r.native }, ...(r.workloadKind ? { workloadKind: r.workloadKind } : {}) } };
  });

/** What the apiserver does to an admitted object: JSON round trip, keys in another order. */
function reorder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorder);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().reverse().map((k) => [k, reorder(v[k])]));
  return v;
}

describe('injector properties', () => {
  it('random pods yield a patch that applies, a pod that still validates, user content kept, and re-injection is a no-op', () => {
    let injected = 0;
    fc.assert(
      fc.property(arbPod, ({ pod, ctx }) => {
        const before = structuredClone(pod);
        let r;
        try {
          r = injectPod(pod, ctx);
        } catch (e) {
          // Denials are allowed (e.g. a user mount at the chosen path, sidecar mode for a Job) but must be ours.
          expect(e).toBeInstanceOf(InjectionDenied);
          expect((e as InjectionDenied).message).toMatch(/^esi\.dev\//);
          return;
        }
        injected++;
        expect(pod).toEqual(before);
        expect(applyPatch(pod, r.patch)).toEqual(r.pod);
        expect(podProblems(r.pod)).toEqual([]);
        // user containers, init containers and volumes kept, in order, only mounts appended
        const userInit = (pod.spec.initContainers ?? []).map((c) => c.name);
        const outInit = (r.pod.spec.initContainers ?? []).map((c) => c.name).filter((n) => userInit.includes(n));
        expect(outInit).toEqual(userInit);
        for (const field of ['containers', 'initContainers'] as const) {
          for (const c of pod.spec[field] ?? []) {
            const out = r.pod.spec[field]!.find((x) => x.name === c.name)!;
            const { volumeMounts: m1, ...rest1 } = c;
            const { volumeMounts: m2, ...rest2 } = out;
            expect(rest2).toEqual(rest1);
            expect((m2 ?? []).slice(0, (m1 ?? []).length)).toEqual(m1 ?? []);
          }
        }
        for (const v of pod.spec.volumes ?? []) expect(r.pod.spec.volumes).toContainEqual(v);
        for (const [k, v] of Object.entries(pod.metadata.annotations ?? {})) expect(r.pod.metadata.annotations![k]).toBe(v);
        // the agent comes first among the init containers; native sidecars keep restartPolicy Always
        const esiInit = r.plan!.owned.initContainers;
        if (esiInit.length > 0) expect(r.pod.spec.initContainers![0]!.name).toBe(esiInit[0]);
        for (const c of r.pod.spec.initContainers ?? []) if (c.startupProbe) expect(c.restartPolicy).toBe('Always');
        if (ctx.workloadKind === 'Job' || ctx.workloadKind === 'CronJob' || pod.spec.restartPolicy === 'Never' || pod.spec.restartPolicy === 'OnFailure') {
          expect(r.plan!.owned.containers).toEqual([]);
        }
        // idempotent, also after the apiserver's round trip
        expect(injectPod(r.pod, ctx).patch).toEqual([]);
        expect(injectPod(reorder(r.pod) as Pod, ctx).patch).toEqual([]);
      }),
      { numRuns: 400, seed: 7 },
    );
    expect(injected).toBeGreaterThan(100);
  });
});
