import { describe, expect, it } from 'vitest';
import { ValidationError, type KubeObject } from '../core/index.ts';
import { parseExternalSecret } from './parse.ts';
import { parseSecretStore } from '../providers/index.ts';
import { externalSecretErrors, secretTemplateErrors, validateExternalSecret } from './validate.ts';
import { fakeStore, makeES, render } from './testkit.test-util.ts';

const d = [{ secretKey: 'k', remoteRef: { key: 'k' } }];
const webhook: { name: string; spec: Record<string, unknown>; errs: string[] }[] = [
  { name: 'valid', spec: { data: d }, errs: [] },
  { name: 'neither data nor dataFrom', spec: {}, errs: ['either data or dataFrom should be specified'] },
  { name: 'Delete with Merge', spec: { data: d, target: { deletionPolicy: 'Delete', creationPolicy: 'Merge' } }, errs: ["deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set creationPolicy=Owner"] },
  { name: 'Delete with None', spec: { data: d, target: { deletionPolicy: 'Delete', creationPolicy: 'None' } }, errs: ["deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set creationPolicy=Owner"] },
  { name: 'Delete with CreateOrMerge', spec: { data: d, target: { deletionPolicy: 'Delete', creationPolicy: 'CreateOrMerge' } }, errs: ["deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set creationPolicy=Owner"] },
  { name: 'Delete with Orphan is admitted', spec: { data: d, target: { deletionPolicy: 'Delete', creationPolicy: 'Orphan' } }, errs: [] },
  { name: 'Merge with None', spec: { data: d, target: { deletionPolicy: 'Merge', creationPolicy: 'None' } }, errs: ['deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with'] },
  { name: 'extract and find together', spec: { dataFrom: [{ extract: { key: 'a' }, find: { name: { regexp: 'a' } } }] }, errs: ['extract, find, or generatorRef cannot be set at the same time'] },
  { name: 'extract and generatorRef together', spec: { dataFrom: [{ extract: { key: 'a' }, sourceRef: { generatorRef: { kind: 'Password', name: 'p' } } }] }, errs: ['extract, find, or generatorRef cannot be set at the same time'] },
  { name: 'empty dataFrom entry', spec: { dataFrom: [{}] }, errs: ['either extract, find, or sourceRef must be set to dataFrom'] },
  { name: 'sourceRef without storeRef or generatorRef', spec: { dataFrom: [{ sourceRef: {} }] }, errs: ['generatorRef or storeRef must be set when using sourceRef in dataFrom'] },
  { name: 'duplicate secretKey under Retain', spec: { data: [...d, ...d] }, errs: ['duplicate secretKey found: k'] },
  { name: 'duplicate secretKey reported for each repeat', spec: { data: [...d, ...d, ...d] }, errs: ['duplicate secretKey found: k', 'duplicate secretKey found: k'] },
  { name: 'duplicate secretKey allowed under Delete', spec: { data: [...d, ...d], target: { deletionPolicy: 'Delete' } }, errs: [] },
  { name: 'bootstrap token type', spec: { data: d, target: { template: { type: 'bootstrap.kubernetes.io/token' } } }, errs: ['template.type="bootstrap.kubernetes.io/token" is not allowed'] },
  { name: 'SA token with SA name annotation', spec: { data: d, target: { template: { type: 'kubernetes.io/service-account-token', metadata: { annotations: { 'kubernetes.io/service-account.name': 'x' } } } } }, errs: ['template.type="kubernetes.io/service-account-token" with annotation "kubernetes.io/service-account.name" is not allowed'] },
  { name: 'SA token with templateFrom target Annotations', spec: { data: d, target: { template: { type: 'kubernetes.io/service-account-token', templateFrom: [{ literal: 'a: b', target: 'annotations' }] } } }, errs: ['template.type="kubernetes.io/service-account-token" with templateFrom target="Annotations" is not allowed'] },
  { name: 'SA token otherwise allowed', spec: { data: d, target: { template: { type: 'kubernetes.io/service-account-token' } } }, errs: [] },
  { name: 'templateFrom target other than Data/Annotations/Labels', spec: { data: d, target: { template: { templateFrom: [{ literal: 'a: b', target: 'Spec' }] } } }, errs: ['templateFrom target="Spec" is not allowed when targeting a Secret, must be one of "Data", "Annotations" or "Labels"'] },
  { name: 'templateFrom target matched case-insensitively', spec: { data: d, target: { template: { templateFrom: [{ literal: 'a: b', target: 'LABELS' }] } } }, errs: [] },
  { name: 'several errors joined, in ESO order', spec: { target: { deletionPolicy: 'Merge', creationPolicy: 'None', template: { type: 'bootstrap.kubernetes.io/token' } } }, errs: ['deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with', 'either data or dataFrom should be specified', 'template.type="bootstrap.kubernetes.io/token" is not allowed'] },
];

describe('ExternalSecret admission rules (§2.3, §6.7)', () => {
  for (const c of webhook) {
    it(c.name, () => {
      const es = makeES(c.spec);
      expect(externalSecretErrors(es)).toEqual(c.errs);
      if (c.errs.length) expect(() => validateExternalSecret(es)).toThrow(c.errs.join('\n'));
    });
  }
  it('secretTemplateErrors covers only the template rules', () => {
    expect(secretTemplateErrors(undefined)).toEqual([]);
    expect(secretTemplateErrors({ templateFrom: [{ target: 'x' }, { target: 'y' }] })).toHaveLength(2);
  });
  it('render refuses what the webhook refuses, naming spec', async () => {
    const err = (await render(makeES({ data: [...d, ...d] }), [fakeStore([{ key: 'k', value: 'v' }])]).then(() => ({}), (e: unknown) => e)) as { message: string; field: string };
    expect(err.message).toBe('duplicate secretKey found: k');
    expect(err.field).toBe('spec');
  });
});

const es = (spec: unknown, apiVersion = 'external-secrets.io/v1') => parseExternalSecret({ apiVersion, kind: 'ExternalSecret', metadata: { name: 'e' }, spec } as KubeObject);

describe('parsing and CRD defaults (§1)', () => {
  it('applies v1 defaults', () => {
    const p = es({ data: d, target: { template: { templateFrom: [{ configMap: { name: 'c', items: [{ key: 'k' }] } }] } }, dataFrom: [{ extract: { key: 'x' }, rewrite: [{ merge: {} }] }] });
    expect(p.spec.refreshInterval).toBe('1h0m0s');
    expect(p.spec.target.creationPolicy).toBe('Owner');
    expect(p.spec.target.deletionPolicy).toBe('Retain');
    expect(p.spec.target.template!.engineVersion).toBe('v2');
    expect(p.spec.target.template!.mergePolicy).toBe('Replace');
    expect(p.spec.target.template!.templateFrom![0]!.target).toBe('Data');
    expect(p.spec.target.template!.templateFrom![0]!.configMap!.items[0]!.templateAs).toBe('Values');
    expect(p.spec.dataFrom![0]!.rewrite![0]!.merge).toEqual({ into: '', priorityPolicy: 'Strict', conflictPolicy: 'Error', strategy: 'Extract' });
  });
  it('accepts v1beta1', () => expect(es({ data: d }, 'external-secrets.io/v1beta1').spec.target.creationPolicy).toBe('Owner'));
  const bad: [unknown, string][] = [
    [{ data: [{ remoteRef: { key: 'k' } }] }, 'spec.data[0].secretKey: required'],
    [{ data: [{ secretKey: 'a/b', remoteRef: { key: 'k' } }] }, 'spec.data[0].secretKey: invalid key'],
    [{ data: [{ secretKey: 'k', remoteRef: {} }] }, 'spec.data[0].remoteRef.key: required'],
    [{ data: [{ secretKey: 'k', remoteRef: { key: 'k', decodingStrategy: 'Hex' } }] }, 'spec.data[0].remoteRef.decodingStrategy: unsupported value "Hex"'],
    [{ target: { creationPolicy: 'Always' } }, 'spec.target.creationPolicy: unsupported value "Always"'],
    [{ secretStoreRef: { name: 's', kind: 'Store' } }, 'spec.secretStoreRef.kind: unsupported value "Store"'],
    [{ dataFrom: [{ find: { name: {} } }] }, 'spec.dataFrom[0].find.name.regexp: required'],
  ];
  for (const [spec, msg] of bad) {
    it(`rejects with the field path: ${msg}`, () => {
      expect(() => es(spec)).toThrow(ValidationError);
      expect(() => es(spec)).toThrow(msg);
    });
  }
  it('store defaults: vault version and auth mount paths, aws sessionTagsPolicy', () => {
    const v = parseSecretStore({ apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 's' }, spec: { provider: { vault: { server: 'http://x', auth: { kubernetes: { role: 'r' }, appRole: { secretRef: { name: 'a', key: 'b' } } } } } } } as KubeObject);
    expect(v.spec.provider.vault!.version).toBe('v2');
    expect(v.spec.provider.vault!.auth!.kubernetes!.mountPath).toBe('kubernetes');
    expect(v.spec.provider.vault!.auth!.appRole!.path).toBe('approle');
    const a = parseSecretStore({ apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: 's' }, spec: { provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } } } } as KubeObject);
    expect(a.spec.provider.aws!.sessionTagsPolicy).toBe('None');
  });
  it('store required fields', () => {
    const store = (provider: unknown) => () => parseSecretStore({ apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 's' }, spec: { provider } } as KubeObject);
    expect(store({ aws: { service: 'SecretsManager' } })).toThrow('spec.provider.aws.region: required');
    expect(store({ vault: {} })).toThrow('spec.provider.vault.server: required');
    expect(store({ fake: {} })).toThrow('spec.provider.fake.data: required');
    expect(store({ gcpsm: {} })).toThrow('esi supports the aws, vault, azurekv and fake providers; got gcpsm');
  });
});

describe('v1beta1 specifics (§1)', () => {
  const beta = (spec: unknown) => es(spec, 'external-secrets.io/v1beta1');
  it('the v1beta1 CRD injects strategy defaults; v1 (v2.9.0) does not', () => {
    const b = beta({ data: [{ secretKey: 'k', remoteRef: { key: 'k' } }], dataFrom: [{ extract: { key: 'x' } }, { find: { name: { regexp: 'x' } } }] });
    expect(b.spec.data![0]!.remoteRef).toEqual({ key: 'k', conversionStrategy: 'Default', decodingStrategy: 'None', metadataPolicy: 'None' });
    expect(b.spec.dataFrom![0]!.extract).toEqual({ key: 'x', conversionStrategy: 'Default', decodingStrategy: 'None', metadataPolicy: 'None' });
    expect(b.spec.dataFrom![1]!.find).toEqual({ name: { regexp: 'x' }, conversionStrategy: 'Default', decodingStrategy: 'None' });
    const v1 = es({ data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    expect(v1.spec.data![0]!.remoteRef).toEqual({ key: 'k' });
  });
  it('v1beta1 templateFrom target is an enum', () => {
    expect(() => beta({ data: d, target: { template: { templateFrom: [{ literal: 'a: b', target: 'Spec' }] } } })).toThrow('spec.target.template.templateFrom[0].target: unsupported value "Spec"');
  });
  it('CreateOrMerge is v1 only', () => {
    expect(() => beta({ data: d, target: { creationPolicy: 'CreateOrMerge' } })).toThrow('spec.target.creationPolicy: unsupported value "CreateOrMerge"');
    expect(es({ data: d, target: { creationPolicy: 'CreateOrMerge' } }).spec.target.creationPolicy).toBe('CreateOrMerge');
  });
  it('refreshInterval must be a Go duration', () => {
    expect(() => es({ data: d, refreshInterval: '1d' })).toThrow('spec.refreshInterval: time: invalid duration "1d"');
    expect(es({ data: d, refreshInterval: '15m' }).spec.refreshInterval).toBe('15m');
  });
  it('with v1beta1 the conversion error names Default instead of an empty strategy', async () => {
    const e = makeES({ dataFrom: [{ extract: { key: 'c' } }] }, {}, 'external-secrets.io/v1beta1');
    await expect(render(e, [fakeStore([{ key: 'c', value: '{"a/b":"1","a_b":"2"}' }])])).rejects.toThrow('error applying conversion strategy Default to keys: secret name collision during conversion: a_b');
  });
});

describe('generic targets', () => {
  it('target.manifest other than v1 Secret is refused clearly', async () => {
    const e = makeES({ data: d, target: { manifest: { apiVersion: 'v1', kind: 'ConfigMap' } } });
    await expect(render(e, [fakeStore([{ key: 'k', value: 'v' }])])).rejects.toThrow('generic targets (v1 ConfigMap) are not supported by esi');
  });
});
