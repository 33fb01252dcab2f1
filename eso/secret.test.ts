import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { Secret } from '../core/index.ts';
import { buildSecret, withManagedLabel, LABEL_CREATED_BY, LABEL_MANAGED, ANNOTATION_DATA_HASH } from './secret.ts';
import { dataHash } from './hash.ts';
import type { TemplateEngine, WorkingSecret } from './templating.ts';
import { existingSecret, fakeStore, makeES, render, secretData } from './testkit.test-util.ts';

const sha3 = (s: string) => createHash('sha3-224').update(s).digest('hex');
const bytes = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));
const CREATED_BY = sha3('ns/es');
const EMPTY_HASH = '74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b';

/** A tiny stand-in for the Go template engine: `{{ .key }}` substitution, `k: v` lines for KeysAndValues. */
const miniEngine: TemplateEngine = {
  execute(tpl, data, scope, target, secret: WorkingSecret, _vds) {
    const renderText = (t: string) =>
      t.replace(/\{\{\s*\.([\w-]+)\s*\}\}/g, (_, k: string) => {
        if (!(k in data)) throw new Error(`template: ${t}:1:3: executing "${t}" at <.${k}>: map has no entry for key "${k}"`);
        return Buffer.from(data[k]!).toString();
      });
    const apply = (k: string, v: string) => {
      const t = target.toLowerCase();
      if (t === 'labels') secret.labels[k] = v;
      else if (t === 'annotations') secret.annotations[k] = v;
      else secret.data[k] = Buffer.from(v);
    };
    for (const [k, v] of Object.entries(tpl)) {
      const out = renderText(Buffer.from(v).toString());
      if (scope === 'Values') apply(k, out);
      else for (const line of out.split('\n').filter(Boolean)) apply(line.split(': ')[0]!, line.split(': ')[1] ?? '');
    }
  },
  compileTransform: (t) => (k) => t.replace('{{ .value }}', k),
};

const store = fakeStore([
  { key: 'db', value: '{"user":"u","password":"p"}' },
  { key: 'plain', value: 'v' },
]);
const extractDb = { dataFrom: [{ extract: { key: 'db' } }] };

async function write(spec: Record<string, unknown>, opts: { existing?: Secret; meta?: Record<string, unknown>; objects?: Secret[]; engine?: TemplateEngine } = {}) {
  const es = makeES(spec, opts.meta ?? {});
  return (await render(es, [store], { existing: opts.existing, objects: opts.objects, engine: opts.engine })).outcome;
}

describe('ObjectHash and created-by (§5)', () => {
  it('data-hash example from the spec', () => {
    expect(dataHash(bytes({ bar: 'value2', foo: 'value1' }))).toBe('1bed8bcbcb4547ffe19a19cd47d9078e84aa6598266d86b99f992d64');
  });
  it('empty map hash', () => expect(dataHash({})).toBe(EMPTY_HASH));
  it('empty value is key:[]', () => expect(dataHash(bytes({ k: '' }))).toBe(sha3('map[k:[]]')));
  it('keys sorted by bytes', () => expect(dataHash(bytes({ b: 'A', a: 'B' }))).toBe(sha3('map[a:[66] b:[65]]')));
});

describe('creationPolicy (§2.3)', () => {
  it('Owner: new Secret with managed + created-by labels, controller ownerReference, data-hash, Opaque', async () => {
    const o = await write(extractDb);
    expect(o.action).toBe('write');
    if (o.action !== 'write') return;
    const s = o.secret;
    expect(o.created).toBe(true);
    expect(s.metadata.name).toBe('es');
    expect(s.metadata.namespace).toBe('ns');
    expect(s.type).toBe('Opaque');
    expect(s.metadata.labels).toEqual({ [LABEL_MANAGED]: 'true', [LABEL_CREATED_BY]: CREATED_BY });
    expect(s.metadata.annotations).toEqual({ [ANNOTATION_DATA_HASH]: dataHash(bytes({ user: 'u', password: 'p' })) });
    expect(s.metadata.ownerReferences).toEqual([
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'es', uid: 'es-uid', controller: true, blockOwnerDeletion: true },
    ]);
    expect(secretData(s)).toEqual({ password: 'p', user: 'u' });
    expect(Object.keys(s.data!)).toEqual(['password', 'user']);
  });
  it('Orphan: no ownerReference, no created-by', async () => {
    const o = await write({ ...extractDb, target: { creationPolicy: 'Orphan' } });
    expect(o.action === 'write' && o.secret.metadata.labels).toEqual({ [LABEL_MANAGED]: 'true' });
    expect(o.action === 'write' && o.secret.metadata.ownerReferences).toBeUndefined();
  });
  it('Orphan removes our ownerReference and created-by from an existing Secret', async () => {
    const existing = existingSecret({}, {
      labels: { [LABEL_CREATED_BY]: CREATED_BY, [LABEL_MANAGED]: 'true', keep: 'me' },
      ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'es', uid: 'es-uid', controller: true, blockOwnerDeletion: true }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: 'u2' }],
    });
    const o = await write({ ...extractDb, target: { creationPolicy: 'Orphan' } }, { existing });
    expect(o.action === 'write' && o.secret.metadata.labels).toEqual({ [LABEL_MANAGED]: 'true', keep: 'me' });
    expect(o.action === 'write' && o.secret.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: 'u2' }]);
  });
  it('Merge without a Secret: nothing written, SecretMissing message', async () => {
    const o = await write({ ...extractDb, target: { creationPolicy: 'Merge' } });
    expect(o).toEqual({ action: 'none', reason: 'secret will not be created due to CreationPolicy=Merge' });
  });
  it('Merge with a Secret: existing keys kept, provider wins, foreign labels and type kept', async () => {
    const existing = existingSecret({ user: 'old', other: 'kept' }, { labels: { foreign: 'x' }, annotations: { note: 'n' } }, { type: 'kubernetes.io/basic-auth' });
    const o = await write({ ...extractDb, target: { creationPolicy: 'Merge' } }, { existing });
    if (o.action !== 'write') throw new Error('expected write');
    expect(secretData(o.secret)).toEqual({ other: 'kept', password: 'p', user: 'u' });
    expect(o.secret.type).toBe('kubernetes.io/basic-auth');
    expect(o.secret.metadata.labels).toEqual({ foreign: 'x', [LABEL_MANAGED]: 'true' });
    expect(o.secret.metadata.annotations![ANNOTATION_DATA_HASH]).toBe(dataHash(bytes({ other: 'kept', password: 'p', user: 'u' })));
    expect(o.secret.metadata.annotations!['note']).toBe('n');
    expect(o.secret.metadata.uid).toBe('secret-uid');
  });
  it('CreateOrMerge: creates like Orphan when missing', async () => {
    const o = await write({ ...extractDb, target: { creationPolicy: 'CreateOrMerge' } });
    expect(o.action === 'write' && o.secret.metadata.ownerReferences).toBeUndefined();
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ password: 'p', user: 'u' });
  });
  it('CreateOrMerge: keeps existing keys like Merge', async () => {
    const o = await write({ ...extractDb, target: { creationPolicy: 'CreateOrMerge' } }, { existing: existingSecret({ other: 'kept' }) });
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ other: 'kept', password: 'p', user: 'u' });
  });
  it('Owner drops foreign keys of an existing Secret', async () => {
    const o = await write(extractDb, { existing: existingSecret({ other: 'dropped' }) });
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ password: 'p', user: 'u' });
  });
  it('None: fetches, writes nothing', async () => {
    const o = await write({ ...extractDb, target: { creationPolicy: 'None' } });
    expect(o).toEqual({ action: 'none', reason: 'secret creation skipped due to CreationPolicy=None' });
  });
  it('None with an unlabelled existing Secret: left as is but gets the managed label', async () => {
    const o = await write({ ...extractDb, target: { creationPolicy: 'None' } }, { existing: existingSecret({ a: 'b' }) });
    expect(o.action).toBe('none');
    expect(o.action === 'none' && o.existing?.metadata.labels).toEqual({ [LABEL_MANAGED]: 'true' });
    expect(o.action === 'none' && secretData(o.existing!)).toEqual({ a: 'b' });
  });
  it('Owner: Secret controlled by another ExternalSecret is an error', async () => {
    const existing = existingSecret({}, { ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'other', uid: 'x', controller: true }] });
    await expect(write(extractDb, { existing })).rejects.toThrow('unable to mutate secret es: secret is owned by another ExternalSecret: other');
  });
  it('another ExternalSecret as controller is an error for Orphan too (v1beta1 owner apiVersion counts)', async () => {
    const existing = existingSecret({}, { ownerReferences: [{ apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', name: 'other', uid: 'x', controller: true }] });
    await expect(write({ ...extractDb, target: { creationPolicy: 'Orphan' } }, { existing })).rejects.toThrow('secret is owned by another ExternalSecret: other');
  });
  it('Owner: a Secret controlled by something else cannot be taken over', async () => {
    const existing = existingSecret({}, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'x', controller: true }] });
    await expect(write(extractDb, { existing })).rejects.toThrow('unable to mutate secret es: could not set controller reference on secret: Object ns/es is already owned by another Deployment controller web');
  });
  it('Owner: non-controller owner references are kept and ours added', async () => {
    const existing = existingSecret({}, { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'x' }] });
    const o = await write(extractDb, { existing });
    expect(o.action === 'write' && o.secret.metadata.ownerReferences!.map((r) => r.kind)).toEqual(['ConfigMap', 'ExternalSecret']);
  });
  it('Owner: Secrets created by this ES under another name are deleted (target rename)', async () => {
    const orphan = existingSecret({}, { name: 'old-name', labels: { [LABEL_CREATED_BY]: CREATED_BY } });
    const unrelated = existingSecret({}, { name: 'unrelated', labels: { [LABEL_CREATED_BY]: sha3('ns/other') } });
    const o = await write(extractDb, { objects: [orphan, unrelated] });
    expect(o.action === 'write' && o.deleteOrphans).toEqual(['old-name']);
  });
  it('target.name names the Secret; default is the ES name', async () => {
    const o = await write({ ...extractDb, target: { name: 'custom' } });
    expect(o.action === 'write' && o.secret.metadata.name).toBe('custom');
  });
  it('an existing Secret that already matches is not changed', async () => {
    const first = await write(extractDb);
    if (first.action !== 'write') throw new Error('write');
    const again = await write(extractDb, { existing: { ...first.secret, metadata: { ...first.secret.metadata, uid: 'u' } } });
    expect(again.action === 'write' && again.changed).toBe(false);
  });
});

describe('deletionPolicy with no provider data (§2.3, §5 step 1)', () => {
  const empty = { dataFrom: [{ find: { name: { regexp: '^nothing$' } } }] };
  it('Retain: no Secret is created', async () => {
    const o = await write(empty);
    expect(o.action).toBe('none');
    expect(o.action === 'none' && o.reason).toContain('secret retained due to DeletionPolicy=Retain');
  });
  it('Retain: an existing Secret is left untouched', async () => {
    const o = await write(empty, { existing: existingSecret({ a: 'b' }, { labels: { [LABEL_MANAGED]: 'true' } }) });
    expect(o.action === 'none' && secretData(o.existing!)).toEqual({ a: 'b' });
    expect(o.action === 'none' && o.reason).toBe('secret retained due to DeletionPolicy=Retain');
  });
  it('Delete: deletes the existing Secret, whoever created it', async () => {
    const o = await write({ ...empty, target: { deletionPolicy: 'Delete' } }, { existing: existingSecret({ a: 'b' }) });
    expect(o).toMatchObject({ action: 'delete', name: 'es', reason: 'secret deleted due to DeletionPolicy=Delete' });
  });
  it('Delete without a Secret: nothing to do', async () => {
    const o = await write({ ...empty, target: { deletionPolicy: 'Delete' } });
    expect(o.action).toBe('none');
  });
  it('Delete requires creationPolicy Owner (controller check)', () => {
    const es = makeES({ ...empty, target: { deletionPolicy: 'Delete', creationPolicy: 'Orphan' } });
    expect(() => buildSecret({ es }, {})).toThrow('unable to delete secret es: creationPolicy=Orphan is not Owner');
  });
  it('Merge: proceeds; Owner writes a Secret with no data keys', async () => {
    const o = await write({ ...empty, target: { deletionPolicy: 'Merge' } });
    expect(o.action === 'write' && o.secret.data).toEqual({});
    expect(o.action === 'write' && o.secret.metadata.annotations![ANNOTATION_DATA_HASH]).toBe(EMPTY_HASH);
  });
  it('Merge with creationPolicy Merge and an existing Secret keeps its keys', async () => {
    const o = await write({ ...empty, target: { deletionPolicy: 'Merge', creationPolicy: 'Merge' } }, { existing: existingSecret({ a: 'b' }) });
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ a: 'b' });
  });
});

describe('immutable (§2.3)', () => {
  it('a new Secret gets immutable: true', async () => {
    const o = await write({ ...extractDb, target: { immutable: true } });
    expect(o.action === 'write' && o.secret.immutable).toBe(true);
  });
  it('once it exists, provider changes are ignored silently (only metadata is updated)', async () => {
    const existing = existingSecret({ user: 'old' }, { labels: { [LABEL_MANAGED]: 'true' } }, { immutable: true });
    const o = await write({ ...extractDb, target: { immutable: true } }, { meta: { labels: { team: 'a' } }, existing });
    if (o.action !== 'write') throw new Error('write');
    expect(secretData(o.secret)).toEqual({ user: 'old' });
    expect(o.secret.metadata.labels!['team']).toBeUndefined();
    expect(o.secret.metadata.labels![LABEL_CREATED_BY]).toBe(CREATED_BY);
  });
  it('an immutable Secret with a mutable ES: a data change fails', async () => {
    const existing = existingSecret({ user: 'old' }, {}, { immutable: true });
    await expect(write(extractDb, { existing })).rejects.toThrow('unable to update secret es: secret is immutable');
  });
  it('an immutable Secret with a mutable ES: no data change, no error', async () => {
    const first = await write(extractDb);
    if (first.action !== 'write') throw new Error('write');
    const existing = { ...first.secret, immutable: true, metadata: { ...first.secret.metadata, labels: {} } };
    const o = await write(extractDb, { existing });
    expect(o.action).toBe('write');
  });
});

describe('labels and annotations (§5)', () => {
  it('without a template all ES labels and annotations are copied', async () => {
    const o = await write(extractDb, { meta: { labels: { app: 'a' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', note: 'n' } } });
    expect(o.action === 'write' && o.secret.metadata.labels).toEqual({ app: 'a', [LABEL_MANAGED]: 'true', [LABEL_CREATED_BY]: CREATED_BY });
    expect(o.action === 'write' && Object.keys(o.secret.metadata.annotations!)).toEqual(['kubectl.kubernetes.io/last-applied-configuration', 'note', ANNOTATION_DATA_HASH]);
  });
  it('with a template the ES labels are not copied; template metadata is', async () => {
    const o = await write({ ...extractDb, target: { template: { type: 'Opaque', metadata: { labels: { t: 'x' } } } } }, { meta: { labels: { app: 'a' } }, engine: miniEngine });
    expect(o.action === 'write' && o.secret.metadata.labels).toEqual({ t: 'x', [LABEL_MANAGED]: 'true', [LABEL_CREATED_BY]: CREATED_BY });
  });
  it('existing foreign labels/annotations are preserved; ones this ES managed are removed', async () => {
    const existing = existingSecret({}, {
      labels: { foreign: 'f', stale: 's' },
      annotations: { fa: '1', sa: '2' },
      managedFields: [{ manager: 'externalsecrets.external-secrets.io/es', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:stale': {} }, 'f:annotations': { 'f:sa': {} } }, 'f:data': { 'f:gone': {} } } }],
    });
    const o = await write(extractDb, { existing });
    expect(o.action === 'write' && o.secret.metadata.labels).toEqual({ foreign: 'f', [LABEL_MANAGED]: 'true', [LABEL_CREATED_BY]: CREATED_BY });
    expect(o.action === 'write' && Object.keys(o.secret.metadata.annotations!)).toEqual(['fa', ANNOTATION_DATA_HASH]);
  });
  it('Merge: data keys previously written by this ES (managed fields) disappear', async () => {
    const existing = existingSecret({ gone: 'x', foreign: 'y' }, {
      managedFields: [{ manager: 'externalsecrets.external-secrets.io/es', operation: 'Update', fieldsV1: { 'f:data': { '.': {}, 'f:gone': {} } } }],
    });
    const o = await write({ ...extractDb, target: { creationPolicy: 'Merge' } }, { existing });
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ foreign: 'y', password: 'p', user: 'u' });
  });
  it('managed fields of another manager are ignored', async () => {
    const existing = existingSecret({ kept: 'x' }, {
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': { 'f:kept': {} } } }],
    });
    const o = await write({ ...extractDb, target: { creationPolicy: 'Merge' } }, { existing });
    expect(o.action === 'write' && secretData(o.secret)['kept']).toBe('x');
  });
  it('long ES names use the sha3 field manager', async () => {
    const name = 'n'.repeat(40);
    const manager = `externalsecrets.external-secrets.io/sha3/${sha3(name)}`;
    const existing = existingSecret({ gone: 'x' }, { name, managedFields: [{ manager, operation: 'Update', fieldsV1: { 'f:data': { 'f:gone': {} } } }] });
    const es = makeES({ ...extractDb, target: { creationPolicy: 'Merge' } }, { name });
    const o = (await render(es, [store], { existing })).outcome;
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ password: 'p', user: 'u' });
  });
});

describe('ApplyTemplate (§5)', () => {
  const t = (template: Record<string, unknown>, target: Record<string, unknown> = {}) => ({ ...extractDb, target: { ...target, template } });
  it('renders with the Go template engine (eso/template)', async () => {
    const o = await write(t({ data: { dsn: '{{ .user }}:{{ .password | upper }}', n: '{{ index . "user" | b64enc }}' } }));
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ dsn: 'u:P', n: 'dQ==' });
  });
  it('a missing key fails with Go\'s text and ESO\'s full chain (new Secret)', async () => {
    await expect(write(t({ data: { k: '{{ .absent }}' } }))).rejects.toThrow(
      'could not apply template: could not execute template: could not execute template: unable to execute template at key k: unable to execute template at key k: template: k:1:3: executing "k" at <.absent>: map has no entry for key "absent"',
    );
  });
  it('a template that only sets type passes provider data through (even with Replace)', async () => {
    const o = await write(t({ type: 'kubernetes.io/basic-auth' }));
    expect(o.action === 'write' && o.secret.type).toBe('kubernetes.io/basic-auth');
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ password: 'p', user: 'u' });
  });
  it('Replace: only template output', async () => {
    const o = await write(t({ data: { dsn: '{{ .user }}:{{ .password }}' } }), { engine: miniEngine });
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ dsn: 'u:p' });
  });
  it('mergePolicy Merge: provider data plus template output (template wins)', async () => {
    const o = await write(t({ mergePolicy: 'Merge', data: { user: 'T-{{ .user }}' } }), { engine: miniEngine });
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ password: 'p', user: 'T-u' });
  });
  it('precedence: existing (Merge) < provider < templateFrom < template.data', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' }, data: { tf: 'a: from-tf\nb: from-tf' } };
    const o = await write(
      t({ mergePolicy: 'Merge', templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'tf', templateAs: 'KeysAndValues' }] } }], data: { b: 'from-data' } }, { creationPolicy: 'Merge' }),
      { engine: miniEngine, existing: existingSecret({ a: 'existing', e: 'existing', user: 'existing' }), objects: [cm as never] },
    );
    expect(o.action === 'write' && secretData(o.secret)).toEqual({ a: 'from-tf', b: 'from-data', e: 'existing', password: 'p', user: 'u' });
  });
  it('templateFrom literal and Labels/Annotations targets', async () => {
    const o = await write(t({ templateFrom: [{ literal: 'l: {{ .user }}', target: 'Labels' }, { literal: 'an: x', target: 'annotations' }, { literal: 'k: v' }] }), { engine: miniEngine });
    if (o.action !== 'write') throw new Error('write');
    expect(o.secret.metadata.labels!['l']).toBe('u');
    expect(o.secret.metadata.annotations!['an']).toBe('x');
    expect(secretData(o.secret)).toEqual({ k: 'v' });
  });
  it('template labels/annotations values are rendered', async () => {
    const o = await write(t({ metadata: { labels: { who: '{{ .user }}' }, annotations: { a: '{{ .password }}' } }, data: { x: 'y' } }), { engine: miniEngine });
    expect(o.action === 'write' && o.secret.metadata.labels!['who']).toBe('u');
    expect(o.action === 'write' && o.secret.metadata.annotations!['a']).toBe('p');
  });
  it('template finalizers are added', async () => {
    const o = await write(t({ metadata: { finalizers: ['example.com/keep'] } }));
    expect(o.action === 'write' && o.secret.metadata.finalizers).toEqual(['example.com/keep']);
  });
  it('missing templateFrom ConfigMap', async () => {
    await expect(write(t({ templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'k' }] } }] }), { engine: miniEngine })).rejects.toThrow(
      'could not apply template: error fetching templateFrom data: configmaps "cm" not found',
    );
  });
  it('missing key in a templateFrom ConfigMap / Secret', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' }, data: {} };
    await expect(write(t({ templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'k' }] } }] }), { engine: miniEngine, objects: [cm as never] })).rejects.toThrow(
      'could not apply template: error fetching templateFrom data: error in configmap cm: missing key k',
    );
    const sec = existingSecret({}, { name: 'tpl' });
    await expect(write(t({ templateFrom: [{ secret: { name: 'tpl', items: [{ key: 'k' }] } }] }), { engine: miniEngine, objects: [sec] })).rejects.toThrow(
      'could not apply template: error fetching templateFrom data: error in secret tpl: missing key k',
    );
  });
  it('template.data errors are wrapped twice in could not execute template', async () => {
    await expect(write(t({ data: { k: '{{ .absent }}' } }), { engine: miniEngine })).rejects.toThrow(
      'could not apply template: could not execute template: could not execute template: template:',
    );
  });
  it('for an existing Secret the chain is prefixed unable to mutate secret', async () => {
    await expect(write(t({ data: { k: '{{ .absent }}' } }), { engine: miniEngine, existing: existingSecret({}) })).rejects.toThrow(
      'unable to mutate secret es: could not apply template: could not execute template',
    );
  });
  it('unsupported engine version', async () => {
    await expect(write(t({ engineVersion: 'v1', data: { k: 'x' } }), { engine: miniEngine })).rejects.toThrow('could not apply template: unsupported template engine version: v1');
  });
  it('template rules: bootstrap token type', async () => {
    await expect(write(t({ type: 'bootstrap.kubernetes.io/token' }))).rejects.toThrow('could not apply template: template.type="bootstrap.kubernetes.io/token" is not allowed');
  });
  it('template rules apply even when nothing is written', async () => {
    await expect(write({ ...t({ type: 'bootstrap.kubernetes.io/token' }), dataFrom: [{ find: { name: { regexp: '^none$' } } }] })).rejects.toThrow(
      'template.type="bootstrap.kubernetes.io/token" is not allowed',
    );
  });
  it('with a template and Owner, data-hash covers the rendered data', async () => {
    const o = await write(t({ data: { dsn: '{{ .user }}' } }), { engine: miniEngine });
    expect(o.action === 'write' && o.secret.metadata.annotations![ANNOTATION_DATA_HASH]).toBe(dataHash(bytes({ dsn: 'u' })));
  });
});

describe('withManagedLabel', () => {
  it('adds the managed label to a Secret lacking it, leaves labelled ones alone', () => {
    const s = existingSecret({});
    expect(withManagedLabel(s)!.metadata.labels).toEqual({ [LABEL_MANAGED]: 'true' });
    expect(s.metadata.labels).toBeUndefined();
    const l = existingSecret({}, { labels: { [LABEL_MANAGED]: 'true' } });
    expect(withManagedLabel(l)).toBe(l);
    expect(withManagedLabel(undefined)).toBeUndefined();
  });
});

describe('templates end to end with the Go engine (§5, §6 as wired here)', () => {
  const t = (template: Record<string, unknown>, target: Record<string, unknown> = {}) => ({ ...extractDb, target: { ...target, template } });
  const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' }, data }) as never;
  const cases: { name: string; template: Record<string, unknown>; objects?: never[]; out?: Record<string, string>; labels?: Record<string, string>; err?: string }[] = [
    { name: 'literal KeysAndValues with YAML 1.1 coercion', template: { templateFrom: [{ literal: 'a: yes\nb: 0755\nc: "{{ .user }}"\nd: 1.10' }] }, out: { a: 'true', b: '493', c: 'u', d: '1.1' } },
    { name: 'configMap item Values: key literal, value template', template: { templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'conn' }] } }] }, objects: [cm({ conn: '{{ .user }}@db' })], out: { conn: 'u@db' } },
    { name: 'configMap item KeysAndValues', template: { templateFrom: [{ configMap: { name: 'cm', items: [{ key: 'kv', templateAs: 'KeysAndValues' }] } }] }, objects: [cm({ kv: 'x: "{{ .password }}"' })], out: { x: 'p' } },
    { name: 'templateFrom Secret item', template: { templateFrom: [{ secret: { name: 'tpl', items: [{ key: 'k' }] } }] }, objects: [existingSecret({ k: 'S-{{ .user }}' }, { name: 'tpl' }) as never], out: { k: 'S-u' } },
    { name: 'valuesDecodingStrategy Base64', template: { templateFrom: [{ literal: 'k: "{{ .user | b64enc }}"', valuesDecodingStrategy: 'Base64' }] }, out: { k: 'u' } },
    { name: 'valuesDecodingStrategy error', template: { templateFrom: [{ literal: 'k: "{{ .user }}"', valuesDecodingStrategy: 'Base64' }] }, err: 'could not apply template: error fetching templateFrom data: failed to decode rendered template value for key k: illegal base64 data at input byte 0' },
    { name: 'templateFrom Labels target', template: { data: { x: 'y' }, templateFrom: [{ literal: 'team: "{{ .user }}"', target: 'Labels' }] }, out: { x: 'y' }, labels: { team: 'u' } },
    { name: 'toJson escapes HTML, toRawJson does not', template: { data: { j: '{{ dict "a" "<b>" | toJson }}', r: '{{ dict "a" "<b>" | toRawJson }}' } }, out: { j: '{"a":"\\u003cb\\u003e"}', r: '{"a":"<b>"}' } },
    { name: 'range over the root in key order', template: { data: { all: '{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}' } }, out: { all: 'password=p;user=u;' } },
    { name: 'KeysAndValues YAML error', template: { templateFrom: [{ literal: 'a: [' }] }, err: "could not apply template: error fetching templateFrom data: could not unmarshal template to 'map[string][]byte': " },
    { name: 'parse error names the key', template: { data: { k: '{{ .user ' } }, err: 'unable to execute template at key k: unable to parse template at key k: template: k:1: ' },
    { name: 'removed sprig function env', template: { data: { k: '{{ env "HOME" }}' } }, err: 'function "env" not defined' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      if (c.err) {
        await expect(write(t(c.template), { objects: c.objects })).rejects.toThrow(c.err);
        return;
      }
      const o = await write(t(c.template), { objects: c.objects });
      if (o.action !== 'write') throw new Error('expected write');
      expect(secretData(o.secret)).toEqual(c.out);
      for (const [k, v] of Object.entries(c.labels ?? {})) expect(o.secret.metadata.labels![k]).toBe(v);
    });
  }
});

describe('what the API server refuses (§4.2 note)', () => {
  const s = (pairs: Record<string, string>) => fakeStore([{ key: 'j', value: JSON.stringify(pairs) }]);
  const cases: { name: string; spec: Record<string, unknown>; value?: Record<string, string>; existing?: Secret; err: string }[] = [
    { name: 'non-ASCII key passes ESO, fails the API server', spec: { dataFrom: [{ extract: { key: 'j' } }] }, value: { 'é': 'x' }, err: `Secret "es" is invalid: data[é]: Invalid value: "é": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')` },
    { name: 'key ".." is refused', spec: { dataFrom: [{ extract: { key: 'j' } }] }, value: { '..': 'x' }, err: `Secret "es" is invalid: data[..]: Invalid value: "..": must not be '..'` },
    { name: 'tls type needs tls.crt and tls.key', spec: { dataFrom: [{ extract: { key: 'j' } }], target: { template: { type: 'kubernetes.io/tls' } } }, value: { 'tls.crt': 'c' }, err: 'Secret "es" is invalid: data[tls.key]: Required value' },
    { name: 'basic-auth needs username or password', spec: { dataFrom: [{ extract: { key: 'j' } }], target: { template: { type: 'kubernetes.io/basic-auth' } } }, value: { other: 'c' }, err: 'Secret "es" is invalid: [data[username]: Required value, data[password]: Required value]' },
    { name: 'dockerconfigjson must be JSON', spec: { dataFrom: [{ extract: { key: 'j' } }], target: { template: { type: 'kubernetes.io/dockerconfigjson' } } }, value: { '.dockerconfigjson': 'nope' }, err: `Secret "es" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'o' in literal null (expecting 'u')` },
    { name: 'a templated label value over 63 bytes', spec: { dataFrom: [{ extract: { key: 'j' } }], target: { template: { metadata: { labels: { l: '{{ .k | sha256sum }}' } } } } }, value: { k: 'v' }, err: 'Secret "es" is invalid: metadata.labels: Invalid value: "4c94485e0c21ae6c41ce1dfe7b6bfaceea5ab68e40a2476f50208e526f506080": must be no more than 63 bytes' },
    { name: 'a label value that does not end alphanumeric', spec: { dataFrom: [{ extract: { key: 'j' } }], target: { template: { metadata: { labels: { l: '{{ .k }}-' } } } } }, value: { k: 'v' }, err: `Secret "es" is invalid: metadata.labels: Invalid value: "v-": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')` },
    { name: 'invalid target name', spec: { dataFrom: [{ extract: { key: 'j' } }], target: { name: 'Bad_Name' } }, value: { k: 'v' }, err: 'Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain' },
    { name: 'the type of an existing Secret cannot change', spec: { dataFrom: [{ extract: { key: 'j' } }], target: { template: { type: 'kubernetes.io/ssh-auth' } } }, value: { 'ssh-privatekey': 'k' }, existing: existingSecret({}), err: 'unable to update secret es: Secret "es" is invalid: type: Invalid value: "kubernetes.io/ssh-auth": field is immutable' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await expect(render(makeES(c.spec), [s(c.value ?? {})], { existing: c.existing })).rejects.toThrow(c.err);
    });
  }
  it('valid typed Secrets pass', async () => {
    const o = (await render(makeES({ dataFrom: [{ extract: { key: 'j' } }], target: { template: { type: 'kubernetes.io/tls' } } }), [s({ 'tls.crt': 'c', 'tls.key': 'k' })])).outcome;
    expect(o.action === 'write' && o.secret.type).toBe('kubernetes.io/tls');
  });
});
