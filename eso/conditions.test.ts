import { describe, expect, it } from 'vitest';
import { labelSelectorMatches, storeAllowsNamespace, storeIsManaged, type LabelSelector } from './conditions.ts';
import { fakeStore, makeES, render } from './testkit.test-util.ts';
import type { ClusterSecretStoreCondition } from './types.ts';

const selectorCases: [LabelSelector, Record<string, string>, boolean][] = [
  [{}, {}, true],
  [{}, { a: '1' }, true],
  [{ matchLabels: { a: '1' } }, { a: '1' }, true],
  [{ matchLabels: { a: '1' } }, { a: '2' }, false],
  [{ matchLabels: { a: '1' } }, {}, false],
  [{ matchLabels: { a: '1', b: '2' } }, { a: '1' }, false],
  [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }, true],
  [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }] }, { a: '3' }, false],
  [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }] }, {}, false],
  [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, {}, true],
  [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }, false],
  [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '2' }, true],
  [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: '' }, true],
  [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
  [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}, true],
  [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { a: 'x' }, false],
  [{ matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] }, { a: '1', b: 'x' }, true],
  [{ matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] }, { a: '1' }, false],
];

describe('label selectors', () => {
  for (const [sel, labels, want] of selectorCases) {
    it(`${JSON.stringify(sel)} on ${JSON.stringify(labels)} → ${want}`, () => expect(labelSelectorMatches(sel, labels)).toBe(want));
  }
  it('In with no values is an error', () => {
    expect(() => labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, {})).toThrow("values set can't be empty");
  });
});

const css = (conditions?: ClusterSecretStoreCondition[]) => fakeStore([{ key: 'k', value: 'v' }], 'shared', 'ClusterSecretStore', conditions ? { conditions } : {});

const conditionCases: { name: string; conditions?: ClusterSecretStoreCondition[]; ns: string; labels?: Record<string, string>; allowed: boolean }[] = [
  { name: 'no conditions: any namespace', ns: 'x', allowed: true },
  { name: 'empty conditions list: any namespace', conditions: [], ns: 'x', allowed: true },
  { name: 'namespaces list match', conditions: [{ namespaces: ['a', 'x'] }], ns: 'x', allowed: true },
  { name: 'namespaces list no match', conditions: [{ namespaces: ['a'] }], ns: 'x', allowed: false },
  { name: 'namespaceSelector on labels', conditions: [{ namespaceSelector: { matchLabels: { team: 'a' } } }], ns: 'x', labels: { team: 'a' }, allowed: true },
  { name: 'namespaceSelector no match', conditions: [{ namespaceSelector: { matchLabels: { team: 'a' } } }], ns: 'x', labels: { team: 'b' }, allowed: false },
  { name: 'namespaceSelector on kubernetes.io/metadata.name (set by the API server)', conditions: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } } }], ns: 'x', allowed: true },
  { name: 'matchExpressions In', conditions: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'stg'] }] } }], ns: 'x', labels: { env: 'stg' }, allowed: true },
  { name: 'matchExpressions NotIn', conditions: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] } }], ns: 'x', labels: { env: 'prod' }, allowed: false },
  { name: 'regex is unanchored', conditions: [{ namespaceRegexes: ['team'] }], ns: 'my-team-ns', allowed: true },
  { name: 'anchored regex', conditions: [{ namespaceRegexes: ['^team-'] }], ns: 'my-team-ns', allowed: false },
  { name: 'regex with Go syntax', conditions: [{ namespaceRegexes: ['^(?P<t>dev|stg)-\\w+$'] }], ns: 'dev-app', allowed: true },
  { name: 'any condition allows', conditions: [{ namespaces: ['a'] }, { namespaceRegexes: ['^x$'] }], ns: 'x', allowed: true },
  { name: 'within one condition, selector or regex', conditions: [{ namespaces: ['a'], namespaceRegexes: ['^x$'] }], ns: 'x', allowed: true },
  { name: 'empty selector matches every namespace', conditions: [{ namespaceSelector: {} }], ns: 'x', allowed: true },
  { name: 'condition with nothing in it allows nothing', conditions: [{}], ns: 'x', allowed: false },
];

describe('ClusterSecretStore conditions (§8)', () => {
  for (const c of conditionCases) {
    it(c.name, () => expect(storeAllowsNamespace(css(c.conditions), c.ns, c.labels ?? {})).toBe(c.allowed));
  }
  it('SecretStores ignore conditions', () => {
    const ss = fakeStore([{ key: 'k', value: 'v' }], 'ss', 'SecretStore', { conditions: [{ namespaces: ['a'] }] });
    expect(storeAllowsNamespace(ss, 'x', {})).toBe(true);
  });
  it('a denied namespace fails every fetch with ESO\'s message, wrapped per entry', async () => {
    const es = makeES({ secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    await expect(render(es, [css([{ namespaces: ['other'] }])])).rejects.toThrow(
      'error processing spec.data[0] (key: k), err: using cluster store "shared" is not allowed from namespace "ns": denied by spec.condition',
    );
  });
  it('the Namespace object\'s labels are used', async () => {
    const es = makeES({ secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { team: 'a' } } };
    const r = await render(es, [css([{ namespaceSelector: { matchLabels: { team: 'a' } } }])], { namespace });
    expect(r.outcome.action).toBe('write');
  });
  it('denial under deletionPolicy Delete is not NoSecretErr: still an error', async () => {
    const es = makeES({ secretStoreRef: { name: 'shared', kind: 'ClusterSecretStore' }, target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: { key: 'k' } }] });
    await expect(render(es, [css([{ namespaces: ['other'] }])])).rejects.toThrow('error processing spec.dataFrom[0].extract, err: using cluster store "shared" is not allowed');
  });
});

describe('controller class (§2.1)', () => {
  const classed = (controller: string) => fakeStore([{ key: 'k', value: 'v' }], 'fake', 'SecretStore', { controller });
  it('storeIsManaged', () => {
    expect(storeIsManaged(classed(''), '')).toBe(true);
    expect(storeIsManaged(classed('x'), 'x')).toBe(true);
    expect(storeIsManaged(classed('x'), '')).toBe(false);
    expect(storeIsManaged(classed(''), 'x')).toBe(true);
  });
  it('an ES whose store has another class is skipped silently', async () => {
    const es = makeES({ data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    const r = await render(es, [classed('other')]);
    expect(r.outcome.action).toBe('none');
    expect(r.outcome.action === 'none' && r.outcome.reason).toContain('ExternalSecret skipped');
  });
  it('a sourceRef store with another class skips the whole ES', async () => {
    const es = makeES({ data: [{ secretKey: 'k', remoteRef: { key: 'k' }, sourceRef: { storeRef: { name: 'other' } } }] });
    const other = fakeStore([{ key: 'k', value: 'v' }], 'other', 'SecretStore', { controller: 'x' });
    expect((await render(es, [fakeStore([{ key: 'k', value: 'v' }]), other])).outcome.action).toBe('none');
  });
  it('with a matching --controller-class the store is used', async () => {
    const es = makeES({ data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    expect((await render(es, [classed('x')], { controllerClass: 'x' })).outcome.action).toBe('write');
  });
  it('missing stores are ignored by the skip check (and fail the fetch)', async () => {
    const es = makeES({ secretStoreRef: { name: 'absent' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
    await expect(render(es, [])).rejects.toThrow('could not get SecretStore "absent"');
  });
});
