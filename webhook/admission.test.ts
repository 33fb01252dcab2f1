import { describe, expect, it } from 'vitest';
import type { Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION } from '../contract/index.ts';
import { applyPatch, lookupFrom } from '../injector/index.ts';
import { TEST_CA_PEM } from '../test/helpers/injector-fixtures.ts';
import { admit, parseReview, type AdmissionEnv } from './admission.ts';
import { PatchMemo } from './patch-memo.ts';

const NS = 'app';
const objects = [
  { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'fake', namespace: NS }, spec: { provider: { fake: { data: [{ key: 'k', value: 'CANARY-not-a-secret' }] } } } },
  { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: NS }, spec: { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'k' } }] } },
];
const env = (ready = true): AdmissionEnv => ({ ready: () => ready, context: (namespace) => ({ eso: lookupFrom(objects), namespace }) });

function review(object: unknown, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: NS, operation: 'CREATE', object, ...extra },
  };
}
const pod = (annotations: Record<string, string>, labels: Record<string, string> = { 'esi.dev/inject': 'true' }): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  // at CREATE the object may carry no namespace; the request's namespace counts
  metadata: { generateName: 'web-', labels, annotations },
  spec: { containers: [{ name: 'app', image: 'a' }] },
});

describe('admit', () => {
  it('answers with a base64 JSON patch that injects the agent, for the request uid', async () => {
    const input = pod({ 'esi.dev/external-secrets': 'db' });
    const out = await admit(parseReview(review(input)), env());
    expect(out.result).toBe('injected');
    const r = out.review.response;
    expect(out.review.apiVersion).toBe('admission.k8s.io/v1');
    expect(r.uid).toBe('u-1');
    expect(r.allowed).toBe(true);
    expect(r.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(r.patch!, 'base64').toString('utf8'));
    const patched = applyPatch(input, ops);
    expect(patched.spec.initContainers![0]!.name).toBe('esi-agent');
    expect(JSON.parse(patched.metadata.annotations![AGENT_CONFIG_ANNOTATION]!).pod.namespace).toBe(NS);
  });

  it('allows without a patch what did not opt in, is not a pod create, or is already injected', async () => {
    expect((await admit(parseReview(review(pod({}, {}))), env())).review.response).toEqual({ uid: 'u-1', allowed: true });
    expect((await admit(parseReview(review(pod({}), { operation: 'UPDATE' })), env())).result).toBe('skipped');
    expect((await admit(parseReview(review({}, { kind: { kind: 'Deployment' }, resource: { resource: 'deployments' } })), env())).result).toBe('skipped');
    const first = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'db' }))), env());
    const injected = applyPatch(pod({ 'esi.dev/external-secrets': 'db' }), first.patch);
    const again = await admit(parseReview(review(injected)), env());
    expect(again.result).toBe('unchanged');
    expect(again.review.response.patch).toBeUndefined();
  });

  it('honours dry-run: same answer, flagged for metrics', async () => {
    const out = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'db' }), { dryRun: true })), env());
    expect(out.dryRun).toBe(true);
    expect(out.result).toBe('injected');
  });

  it('denies a bad annotation with a status message naming it', async () => {
    const out = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/mode': 'sidekick' }))), env());
    expect(out.result).toBe('denied');
    expect(out.denialReason).toBe('invalid-annotation');
    expect(out.review.response).toEqual({
      uid: 'u-1',
      allowed: false,
      status: { code: 400, reason: 'BadRequest', message: 'esi.dev/mode: "sidekick" is not valid: use init, sidecar or both' },
    });
    const missing = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'nope' }))), env());
    expect(missing.review.response.status).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(missing.denialReason).toBe('external-secret-not-found');
  });

  it('refuses opted-in pods until the caches synced', async () => {
    const out = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'db' }))), env(false));
    expect(out.review.response.allowed).toBe(false);
    expect(out.review.response.status!.code).toBe(503);
    // pods that did not opt in are never held up
    expect((await admit(parseReview(review(pod({}, {}))), env(false))).review.response.allowed).toBe(true);
  });

  it('fetches a Vault caProvider CA on demand and retries once', async () => {
    const vaultObjects = [
      { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'v', namespace: NS }, spec: { provider: { vault: { server: 'https://v:8200', caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' }, auth: { tokenSecretRef: { name: 't', key: 'token' } } } } } },
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: NS }, spec: { secretStoreRef: { name: 'v' }, data: [{ secretKey: 'pw', remoteRef: { key: 'k' } }] } },
    ];
    const cas = new Map<string, string>();
    const fetched: string[] = [];
    const e: AdmissionEnv = {
      ready: () => true,
      context: (namespace) => ({ eso: lookupFrom(vaultObjects), namespace, caLookup: (ref) => cas.get(ref.name) }),
      fetchCa: async (ref) => {
        fetched.push(`${ref.kind}/${ref.namespace}/${ref.name}`);
        cas.set(ref.name, TEST_CA_PEM); // only certificates are inlined (issue 18 defect 2)
      },
    };
    const out = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'db' }))), e);
    expect(out.result).toBe('injected');
    expect(fetched).toEqual(['ConfigMap/app/ca']);
  });

  it('reads the service account an azurekv store names and a CA, each once, and retries; a CA still missing after its read denies', async () => {
    const objs = [
      { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'kv', namespace: NS }, spec: { provider: { azurekv: { vaultUrl: 'https://kv.vault.azure.net', authType: 'WorkloadIdentity', serviceAccountRef: { name: 'wi' } } } } },
      { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'v', namespace: NS }, spec: { provider: { vault: { server: 'https://v:8200', caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' }, auth: { tokenSecretRef: { name: 't', key: 'token' } } } } } },
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'a', namespace: NS }, spec: { secretStoreRef: { name: 'kv' }, data: [{ secretKey: 'pw', remoteRef: { key: 'k' } }] } },
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'b', namespace: NS }, spec: { secretStoreRef: { name: 'v' }, data: [{ secretKey: 'pw', remoteRef: { key: 'k' } }] } },
    ];
    const accounts = new Map<string, Record<string, string> | null>();
    const read: string[] = [];
    const e = (caPem: string | undefined): AdmissionEnv => ({
      ready: () => true,
      context: (namespace) => ({ eso: lookupFrom(objs), namespace, caLookup: () => (read.includes('ca') ? caPem : undefined), serviceAccountLookup: (ns, name) => accounts.get(`${ns}/${name}`) }),
      fetchCa: async () => void read.push('ca'),
      fetchServiceAccount: async (ns, name) => {
        read.push(`sa ${ns}/${name}`);
        accounts.set(`${ns}/${name}`, { 'azure.workload.identity/client-id': 'wi-client' });
      },
    });
    const out = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'a,b' }))), e(TEST_CA_PEM));
    expect(out.result).toBe('injected');
    expect(read).toEqual(['sa app/wi', 'ca']);
    expect(JSON.stringify(out.patch)).toContain('"value":"wi-client"');
    read.length = 0;
    accounts.clear();
    const denied = await admit(parseReview(review(pod({ 'esi.dev/external-secrets': 'a,b' }))), e(undefined));
    expect(denied.result).toBe('denied');
    expect(read).toEqual(['sa app/wi', 'ca']);
  });

  it('rejects what is not an AdmissionReview v1', () => {
    expect(() => parseReview({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } })).toThrow(/admission.k8s.io\/v1/);
    expect(() => parseReview({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} })).toThrow(/request.uid/);
  });
});

describe('admit: regexps are linear and bounded per request (issue 18)', () => {
  const clusterStore = (namespaceRegexes: string[]) => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: 'shared' },
    spec: { conditions: [{ namespaceRegexes }], provider: { fake: { data: [{ key: 'k', value: 'v' }] } } },
  });
  const es = (namespace: string) => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace },
    spec: { secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' }, data: [{ secretKey: 'pw', remoteRef: { key: 'k' } }] },
  });
  const admitIn = (namespace: string, store: unknown) =>
    admit(parseReview({ ...review(pod({ 'esi.dev/external-secrets': 'db' })), request: { ...review(pod({ 'esi.dev/external-secrets': 'db' })).request, namespace } }), {
      ready: () => true,
      context: (ns) => ({ eso: lookupFrom([store as never, es(ns) as never]), namespace: ns }),
    });

  it('answers the namespace that made V8 backtrack forever: denied by the condition, as ESO would', async () => {
    const ns = `prod-${'a'.repeat(31)}1`;
    const out = await admitIn(ns, clusterStore(['^prod-([a-z]+-?)+$']));
    expect(out.result).toBe('denied');
    expect(out.denialReason).toBe('store-condition-denied');
    expect(out.review.response.status!.message).toContain(`using cluster store "shared" is not allowed from namespace "${ns}": denied by spec.condition`);
    // and the same store admits a namespace the pattern matches
    expect((await admitIn('prod-team-a', clusterStore(['^prod-([a-z]+-?)+$']))).result).toBe('injected');
  });

  it('admits through a store with a few hundred ordinary namespaceRegexes: the bound is far above real use', async () => {
    const ordinary = Array.from({ length: 300 }, (_, i) => `^team-${i}-(dev|prod)$`);
    expect((await admitIn('team-299-prod', clusterStore(ordinary))).result).toBe('injected');
    expect((await admitIn('team-300-prod', clusterStore(ordinary))).denialReason).toBe('store-condition-denied');
  });

  it('denies, with a message naming the store, a store whose regexps exceed the per-request bound', async () => {
    // 1,000 distinct patterns of ~40 instructions: each cheap, together past ADMISSION_REGEXP_BUDGET
    const many = Array.from({ length: 1000 }, (_, i) => `^team-${i}-([a-z]+-?)+(dev|prod|stage)$`);
    const out = await admitIn('other', clusterStore(many));
    expect(out.result).toBe('denied');
    expect(out.denialReason).toBe('regexp-budget');
    expect(out.review.response.status).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(out.review.response.status!.message).toMatch(/^esi\.dev\/external-secrets: ClusterSecretStore "shared".*exceed esi's bound on regexp work per request \(5,000,000 units/);
  });
});

describe('admit with a PatchMemo: identical pods (a ReplicaSet\'s) are injected once', () => {
  const counted = (objs: typeof objects, memo: PatchMemo) => {
    const calls = { context: 0 };
    const e: AdmissionEnv = { ready: () => true, memo, context: (namespace) => (calls.context++, { eso: lookupFrom(objs), namespace }) };
    return { e, calls };
  };
  const withUid = (uid: string, object: unknown, extra: Record<string, unknown> = {}) => parseReview({ ...review(object, extra), request: { ...review(object, extra).request, uid } });

  it('answers the second identical pod from the memo: same patch, its own uid, the injector not run', async () => {
    const memo = new PatchMemo();
    const { e, calls } = counted(objects, memo);
    const input = pod({ 'esi.dev/external-secrets': 'db' });
    const first = await admit(withUid('u-1', input), e);
    const second = await admit(withUid('u-2', structuredClone(input)), e);
    expect(calls.context).toBe(1);
    expect(second.result).toBe('injected');
    expect(second.review.response.uid).toBe('u-2');
    expect(second.review.response.patch).toBe(first.review.response.patch);
    expect(second.patch).toEqual(first.patch);
    // the memo's answer equals a fresh computation
    expect((await admit(withUid('u-3', input), { ready: () => true, context: (namespace) => ({ eso: lookupFrom(objects), namespace }) })).review.response).toEqual({ ...second.review.response, uid: 'u-3' });
  });

  it('computes anew for a different pod, another namespace, and after clear()', async () => {
    const memo = new PatchMemo();
    const { e, calls } = counted(objects, memo);
    await admit(withUid('a', pod({ 'esi.dev/external-secrets': 'db' })), e);
    await admit(withUid('b', pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/mode': 'init' })), e);
    expect(calls.context).toBe(2);
    await admit(withUid('c', pod({ 'esi.dev/external-secrets': 'db' }), { namespace: 'other' }), e);
    expect(calls.context).toBe(3);
    memo.clear();
    await admit(withUid('d', pod({ 'esi.dev/external-secrets': 'db' })), e);
    expect(calls.context).toBe(4);
  });

  it('follows a changed ExternalSecret once the memo is cleared, as webhook/run.ts does on every cache change', async () => {
    const memo = new PatchMemo();
    let current = objects;
    const e: AdmissionEnv = { ready: () => true, memo, context: (namespace) => ({ eso: lookupFrom(current), namespace }) };
    const input = pod({ 'esi.dev/external-secrets': 'db' });
    const keyOf = async (uid: string) => {
      const out = await admit(withUid(uid, input), e);
      const ops = JSON.parse(Buffer.from(out.review.response.patch!, 'base64').toString('utf8'));
      return JSON.parse(applyPatch(input, ops).metadata.annotations![AGENT_CONFIG_ANNOTATION]!).externalSecrets[0].externalSecret.spec.data[0].remoteRef.key as string;
    };
    expect(await keyOf('1')).toBe('k');
    current = [objects[0]!, { ...objects[1]!, spec: { secretStoreRef: { name: 'fake' }, data: [{ secretKey: 'pw', remoteRef: { key: 'k2' } }] } }];
    memo.clear();
    expect(await keyOf('2')).toBe('k2');
  });

  it('keeps no denial: a pod denied once is judged again (its ExternalSecret may exist by now)', async () => {
    const memo = new PatchMemo();
    const { e, calls } = counted(objects, memo);
    const denied = pod({ 'esi.dev/external-secrets': 'nope' });
    expect((await admit(withUid('1', denied), e)).result).toBe('denied');
    expect((await admit(withUid('2', denied), e)).result).toBe('denied');
    expect(calls.context).toBe(2);
    expect(memo.size).toBe(0);
  });

  it('drops entries past their age and the oldest past its size', () => {
    let now = 0;
    const memo = new PatchMemo({ maxEntries: 2, maxAgeMs: 1000, now: () => now });
    const a = { result: 'unchanged' as const, ops: [], warnings: [] };
    memo.set('a', a);
    now = 1001;
    expect(memo.get('a')).toBeUndefined();
    memo.set('a', a);
    memo.set('b', a);
    memo.set('c', a);
    expect([memo.get('a'), memo.get('b'), memo.get('c')]).toEqual([undefined, a, a]);
    // a pod past maxKeyLength is answered, never kept
    const small = new PatchMemo({ maxKeyLength: 10 });
    small.set('x'.repeat(11), a);
    expect(small.size).toBe(0);
  });
});
