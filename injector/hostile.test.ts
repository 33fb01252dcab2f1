/**
 * Hostile pods and ESO objects (issue 18): each case reproduces a defect a probe found, through the
 * injector's public entry point.
 */
import { describe, expect, it } from 'vitest';
import { AGENT_CONFIG_ANNOTATION, ANNOTATIONS_SIZE_LIMIT } from '../contract/index.ts';
import type { Pod } from '../core/index.ts';
import { applyPatch, injectManifests, injectPod, InjectionDenied, type InjectContext } from './index.ts';
import { contextOf, denialOf, externalSecret, pod, store, TEST_CA_PEM } from '../test/helpers/injector-fixtures.ts';

const objects = [store('fake'), externalSecret('db')];
const ctx = (extra: Partial<InjectContext> = {}, objs = objects): InjectContext => contextOf(objs, extra);
const denial = (p: Pod, c: InjectContext = ctx()): InjectionDenied => denialOf(() => injectPod(p, c));

describe('defect 5: every mount of the secrets volume in an app container is read-only', () => {
  it('forces readOnly on a second mount of esi-secrets in the same container', () => {
    const input = pod(undefined, {
      containers: [{ name: 'app', image: 'a', volumeMounts: [{ name: 'esi-secrets', mountPath: '/var/run/secrets/esi' }, { name: 'esi-secrets', mountPath: '/rw' }] }],
    });
    const r = injectPod(input, ctx());
    const mounts = r.pod.spec.containers[0]!.volumeMounts!.filter((m) => m.name === 'esi-secrets');
    expect(mounts.map((m) => [m.mountPath, m.readOnly])).toEqual([
      ['/var/run/secrets/esi', true],
      ['/rw', true],
    ]);
    expect(applyPatch(input, r.patch)).toEqual(r.pod);
    expect(injectPod(r.pod, ctx()).patch).toEqual([]);
  });
});

describe('defect 8: mount paths are normalised, then refused with the reason', () => {
  it.each([
    ['//', /"\/\/" is not valid: a volume at "\/" would replace/],
    ['/.', /"\/." is not valid: a volume at "\/" would replace/],
    ['/etc/esi/x', /it overlaps \/etc\/esi, a directory esi's agent mounts for itself/],
    ['/etc/esi', /it overlaps \/etc\/esi/],
    ['/etc', /a volume at \/etc would hide the image's \/etc/],
    ['/proc', /\/proc belongs to the container runtime/],
    ['/proc/self', /\/proc belongs to the container runtime/],
    ['/dev/shm', /\/dev belongs to the container runtime/],
    ['/sys', /\/sys belongs to the container runtime/],
    ['/var/run/secrets/kubernetes.io/serviceaccount', /overlaps the service-account token directory/],
    ['/var/run/secrets', /overlaps the service-account token directory/],
    ['/var/run/secrets/esi.dev/vault/x', /overlaps \/var\/run\/secrets\/esi.dev\/vault/],
    ['/a/../b', /no "\.\."/],
  ])('%s', (path, message) => {
    const e = denial(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/mount-path': path }));
    expect(e.annotation).toBe('esi.dev/mount-path');
    expect(e.message).toMatch(/^esi\.dev\/mount-path: /);
    expect(e.message).toMatch(message);
  });

  it('mounts where the kubelet would: //a/./b/ is /a/b', () => {
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/mount-path': '//srv/./secrets/' }), ctx());
    expect(r.pod.spec.containers[0]!.volumeMounts).toEqual([{ name: 'esi-secrets', mountPath: '/srv/secrets', readOnly: true }]);
  });
});

describe('defect 9: an agent config too large for the pod is refused by esi, not by the apiserver', () => {
  it('denies when the annotations would pass 256 KiB, and injects just below', () => {
    // Each ExternalSecret adds its spec to the config: find how many fit, then one more must be denied.
    const many = (n: number) => Array.from({ length: n }, (_, i) => externalSecret(`es-${i}`));
    const annotations = (n: number) => ({ 'esi.dev/external-secrets': many(n).map((o) => o.metadata.name).join(',') });
    let n = 1;
    for (; n < 3000; ) {
      try {
        injectPod(pod(annotations(n)), ctx({}, [store('fake'), ...many(n)]));
        n += 50;
      } catch (e) {
        expect(e).toBeInstanceOf(InjectionDenied);
        break;
      }
    }
    expect(n).toBeLessThan(3000); // 2,000 ExternalSecrets made 815 KB in the probe
    // Narrow down to the exact boundary.
    let lo = n - 50;
    let hi = n;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      try {
        injectPod(pod(annotations(mid)), ctx({}, [store('fake'), ...many(mid)]));
        lo = mid;
      } catch {
        hi = mid;
      }
    }
    const fits = injectPod(pod(annotations(lo)), ctx({}, [store('fake'), ...many(lo)]));
    const size = Object.entries(fits.pod.metadata.annotations!).reduce((a, [k, v]) => a + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    expect(size).toBeLessThanOrEqual(ANNOTATIONS_SIZE_LIMIT);
    const e = denial(pod(annotations(hi)), ctx({}, [store('fake'), ...many(hi)]));
    expect(e.reason).toBe('too-large');
    expect(e.annotation).toBe(AGENT_CONFIG_ANNOTATION);
    expect(e.message).toMatch(/^esi\.dev\/agent-config: the resolved agent config is \d+ bytes, and with the pod's other annotations \(\d+ bytes\) it exceeds Kubernetes' limit of 262144 bytes/);
  });
});

describe('defect 11: esi.dev/refresh-interval has a floor of 1s', () => {
  it.each(['1ns', '999ms', '0.5s'])('refuses %s', (v) => {
    const e = denial(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': v }));
    expect(e.message).toMatch(/^esi\.dev\/refresh-interval: "[^"]+" is not valid: the shortest refresh interval is 1s/);
  });
  it.each(['1s', '0', '1m'])('accepts %s', (v) => {
    expect(() => injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/refresh-interval': v }), ctx())).not.toThrow();
  });
});

describe('defect 12: smaller gaps', () => {
  it.each(['..data', '.', '..', '..x'])('refuses the ExternalSecret key %s at admission', (key) => {
    const es = externalSecret('db');
    (es['spec'] as { data: { secretKey: string }[] }).data[0]!.secretKey = key;
    const e = denial(pod(), ctx({}, [store('fake'), es]));
    expect(e.message).toMatch(/^esi\.dev\/external-secrets: ExternalSecret "db" spec\.data\[0\]\.secretKey: "[.a-z]+" is not valid: /);
  });

  it.each(['esi.dev/secret-..data', 'esi.dev/secret-..x'])('refuses the inline file %s at admission', (key) => {
    const e = denial(pod({ 'esi.dev/store': 'fake', [key]: 'k' }));
    expect(e.annotation).toBe(key);
    expect(e.message).toMatch(/reserved for the atomic writer/);
  });

  it.each(['1e400', '1e19', '99999999999Ei'])('refuses the out-of-range quantity %s instead of comparing Infinity', (q) => {
    const e = denial(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/agent-memory-request': q, 'esi.dev/agent-memory-limit': q }));
    expect(e.message).toMatch(/^esi\.dev\/agent-memory-(request|limit): "[^"]+" is not valid: give a Kubernetes quantity, positive and at most/);
  });

  it('compares quantities exactly: 1e3 is 1k, 1.5Gi is above 1536Mi-1', () => {
    expect(() => injectPod(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/agent-cpu-request': '1e3', 'esi.dev/agent-cpu-limit': '1k' }), ctx())).not.toThrow();
    const e = denial(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/agent-memory-request': '1.5Gi', 'esi.dev/agent-memory-limit': '1610612735' }));
    expect(e.message).toMatch(/request 1.5Gi is above its limit 1610612735/);
  });

  it('cuts a multi-megabyte value in a denial message', () => {
    const huge = 'x'.repeat(3 * 1024 * 1024);
    const e = denial(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/mode': huge }));
    expect(e.message.length).toBeLessThan(400);
    expect(e.message).toMatch(/^esi\.dev\/mode: "x{80}"… \(3145728 bytes\) is not valid: use init, sidecar or both/);
  });

  it.each([
    ['esi.dev/file-mode', 288, 'number'],
    ['esi.dev/sync-secret', true, 'boolean'],
    ['esi.dev/refresh-interval', null, 'null'],
    ['esi.dev/containers', ['app'], 'a list'],
  ])('names the annotation when %s is not a string (YAML %s)', (key, value, what) => {
    const p = pod({ 'esi.dev/external-secrets': 'db', [key]: value as unknown as string });
    const e = denial(p);
    expect(e.message).toBe(`${key}: annotation values must be strings, got ${what}; quote the value in YAML (e.g. "0440", "true", "30s")`);
    // esi inject reports it the same way, never as a TypeError
    expect(() => injectManifests([p], objects)).toThrow(/annotation values must be strings/);
  });

  it('names the label when esi.dev/inject is not a string', () => {
    const e = denial(pod(undefined, {}, { 'esi.dev/inject': true as unknown as string }));
    expect(e.message).toMatch(/^label esi\.dev\/inject: label values must be strings, got boolean; quote it in YAML: "true"/);
  });
});

describe('defect 4: a forged esi.dev/injected is not trusted', () => {
  const forged = (claim: object, spec: Partial<Pod['spec']>) => pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/injected': JSON.stringify(claim) }, spec);

  it("refuses a claim on the user's own esi-agent container (command, capabilities, hostPath kept inside the 'hardened' agent)", () => {
    const p = forged(
      { initContainers: ['esi-agent'], containers: [], volumes: [] },
      {
        initContainers: [
          {
            name: 'esi-agent',
            image: 'evil',
            restartPolicy: 'Always',
            command: ['sh', '-c', 'cat /host/etc/shadow'],
            securityContext: { capabilities: { add: ['SYS_ADMIN'] } },
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: '/' } }],
      },
    );
    const e = denial(p);
    expect(e.reason).toBe('collision');
    expect(e.annotation).toBe('esi.dev/injected');
    expect(e.message).toMatch(/^esi\.dev\/injected: names container "esi-agent" as esi's, but esi did not add it \(it has "command", which esi's agent never has\); esi writes esi\.dev\/injected itself/);
  });

  it('refuses a claim that would delete a user container', () => {
    const p = forged({ initContainers: [], containers: ['app', 'worker'], volumes: [] }, { containers: [{ name: 'app', image: 'a' }, { name: 'worker', image: 'w' }] });
    expect(denial(p).message).toMatch(/names container "app" as esi's, but esi did not add it \(its args are not esi's agent's\)/);
  });

  it('refuses a claimed hostPath volume instead of merging a second source into it', () => {
    const p = forged({ initContainers: [], containers: [], volumes: ['esi-secrets'] }, { volumes: [{ name: 'esi-secrets', hostPath: { path: '/var/lib' } }] });
    expect(denial(p).message).toMatch(/names volume "esi-secrets" as esi's, but esi did not add it \(a "hostPath" volume is not one esi adds\)/);
  });

  it("still recognises its own containers on reinvocation, after the apiserver's defaulting and another webhook's env", () => {
    const first = injectPod(pod(), ctx());
    const later = structuredClone(first.pod);
    for (const c of later.spec.initContainers!) {
      Object.assign(c, { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
      c.env = [...(c.env ?? []), { name: 'OTHER', value: '1' }];
    }
    const again = injectPod(later, ctx());
    expect(again.pod.spec.initContainers!.map((c) => c.name)).toEqual(['esi-agent']);
    expect(injectPod(again.pod, ctx()).patch).toEqual([]);
  });
});

describe("defect 2: caProvider inlines certificates only, never another key of a Secret", () => {
  const vaultStore = (type: string) =>
    store('vault', { vault: { server: 'https://vault:8200', caProvider: { type, name: 'creds', key: 'k' }, auth: { tokenSecretRef: { name: 't', key: 'token' } } } });
  const objs = (type: string) => [vaultStore(type), externalSecret('v', 'vault')];
  const CANARY = 'CANARY-db-password-9f8e';
  const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

  it.each([
    ['a password', CANARY, /is not a CA certificate \(it holds no PEM certificate\)/],
    ['a private key', key, /is not a CA certificate \(it holds a PEM block of type PRIVATE KEY, not only certificates\)/],
    ['a certificate with a key after it', TEST_CA_PEM + key, /PEM block of type PRIVATE KEY/],
    ['a block that is no certificate', `-----BEGIN CERTIFICATE-----\n${Buffer.from(CANARY).toString('base64')}\n-----END CERTIFICATE-----\n`, /a CERTIFICATE block does not parse as an X\.509 certificate/],
  ])('refuses %s and never copies it into the pod', (_what, value, message) => {
    const e = denial(pod({ 'esi.dev/external-secrets': 'v' }), ctx({ caLookup: () => value }, objs('Secret')));
    expect(e.message).toMatch(/^esi\.dev\/external-secrets: ExternalSecret "v": SecretStore "vault" spec\.provider\.vault\.caProvider: Secret "creds" key "k" is not a CA certificate/);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(CANARY);
    expect(e.message).not.toContain(Buffer.from(CANARY).toString('base64'));
  });

  it('inlines only the certificates, not text around them', () => {
    const r = injectPod(pod({ 'esi.dev/external-secrets': 'v' }), ctx({ caLookup: () => `${CANARY}\n${TEST_CA_PEM}trailing ${CANARY}\n` }, objs('Secret')));
    const annotation = r.pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]!;
    expect(annotation).not.toContain(CANARY);
    const cfg = JSON.parse(annotation) as { stores: Record<string, { spec: { provider: { vault: { caBundle: string } } } }> };
    expect(Buffer.from(cfg.stores['SecretStore/vault']!.spec.provider.vault.caBundle, 'base64').toString()).toBe(TEST_CA_PEM);
  });
});

describe('found by the fuzz suite', () => {
  it('refuses a 5,000-character store name instead of echoing it through the lookup', () => {
    const e = denial(pod({ 'esi.dev/store': 'x'.repeat(5000), 'esi.dev/secret-f': 'k' }));
    expect(e.annotation).toBe('esi.dev/store');
    expect(e.message.length).toBeLessThan(400);
  });
});
