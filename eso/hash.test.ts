import { describe, expect, it } from 'vitest';
import { createdByHash, dataHash } from './hash.ts';

const b = (s: string) => Buffer.from(s);

describe('ESO ObjectHash of Secret data', () => {
  it.each([
    [{ foo: b('value1'), bar: b('value2') }, '1bed8bcbcb4547ffe19a19cd47d9078e84aa6598266d86b99f992d64'],
    [{}, '74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b'],
  ])('hashes %o as ESO does', (data, want) => {
    expect(dataHash(data)).toBe(want);
  });
  it('created-by is sha3-224 of namespace/name', () => {
    expect(createdByHash('ns', 'es')).toMatch(/^[0-9a-f]{56}$/);
    expect(createdByHash('ns', 'es')).not.toBe(createdByHash('ns', 'es2'));
  });
});
