/**
 * ESO's `fake` provider (ESO providers/v1/fake/fake.go), in full. Pure: the store spec holds the data.
 * Used by the demo, examples and tests; it never touches a network.
 */
import { NoSecretError } from '../../core/index.ts';
import { awsExtractMap, compileFindRegexp, convertKeys, EsoError, fakePropertyOf, goQuote, newDataMap, wrapError, type ExternalSecretFind, type FakeProvider, type RemoteRef, type SecretDataMap, type SecretsClient } from '../../eso/index.ts';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** The fake provider's ValidateStore (ESO providers/v1/fake ValidateStore): the first message, empty when valid. */
export function fakeStoreErrors(p: FakeProvider): string[] {
  for (const [pos, d] of (p.data ?? []).entries()) {
    if (!d.key) return [`key must be set in data ${pos}`];
    if (!d.value) return [`at least one value must be set in data ${pos}`];
  }
  return [];
}

/** The fake provider's ValidateStore messages (`key must be set in data 0`, …); throws the first. */
export function validateFakeStore(p: FakeProvider): void {
  const errs = fakeStoreErrors(p);
  if (errs.length > 0) throw new EsoError('invalid-store', errs[0]!, 'spec.provider.fake.data');
}

interface Entry {
  value: string;
  version: string;
}

/** Go's `%#v` of an esv1.ExternalSecretFind (pointer addresses are not reproducible; shown as 0xc000000000). */
export function goFindLiteral(find: ExternalSecretFind): string {
  const tags = find.tags
    ? `map[string]string{${Object.keys(find.tags).sort().map((k) => `${goQuote(k)}:${goQuote(find.tags![k]!)}`).join(', ')}}`
    : 'map[string]string(nil)';
  const path = find.path !== undefined ? '(*string)(0xc000000000)' : '(*string)(nil)';
  const name = find.name !== undefined ? '(*v1.FindName)(0xc000000000)' : '(*v1.FindName)(nil)';
  return `v1.ExternalSecretFind{Path:${path}, Name:${name}, Tags:${tags}, ConversionStrategy:${goQuote(find.conversionStrategy ?? '')}, DecodingStrategy:${goQuote(find.decodingStrategy ?? '')}, NullBytePolicy:${goQuote(find.nullBytePolicy ?? '')}}`;
}

export class FakeSecretsClient implements SecretsClient {
  readonly #entries = new Map<string, Entry>();

  constructor(provider: FakeProvider) {
    for (const d of provider.data ?? []) {
      const version = d.version ?? '';
      // ESO stores entries under key+version (string concatenation): {foo1} and {foo, 1} collide, last wins.
      this.#entries.set((d.key ?? '') + version, { value: d.value ?? '', version });
    }
  }

  #lookup(ref: RemoteRef): string {
    const version = ref.version ?? '';
    const e = this.#entries.get(ref.key + version);
    if (!e || e.version !== version) throw new NoSecretError();
    return e.value;
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    const value = this.#lookup(ref);
    if (!ref.property) return utf8(value);
    const selected = fakePropertyOf(value, ref.property);
    if (selected === undefined) throw new NoSecretError();
    return selected;
  }

  async getSecretMap(ref: RemoteRef): Promise<SecretDataMap> {
    this.#lookup(ref);
    const bytes = await this.getSecret(ref);
    try {
      return awsExtractMap(bytes);
    } catch (e) {
      throw wrapError('unable to unmarshal secret: ', e);
    }
  }

  async getAllSecrets(find: ExternalSecretFind): Promise<SecretDataMap> {
    if (!find.name) throw new EsoError('unsupported', `unsupported find operator: ${goFindLiteral(find)}`);
    const re = compileFindRegexp(find.name.regexp);
    const best = new Map<string, Entry>();
    for (const [mapKey, e] of this.#entries) {
      const original = e.version !== '' && mapKey.endsWith(e.version) ? mapKey.slice(0, mapKey.length - e.version.length) : mapKey;
      if (!re.test(original)) continue;
      const prev = best.get(original);
      // ESO keeps the greatest version by string comparison ("9" > "10"); versioned beats unversioned.
      if (!prev || prev.version < e.version) best.set(original, e);
    }
    const out = newDataMap();
    for (const [k, v] of best) out[k] = utf8(v.value);
    return convertKeys((find.conversionStrategy ?? '') as never, out);
  }
}
