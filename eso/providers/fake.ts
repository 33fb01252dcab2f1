/**
 * ESO's `fake` provider (ESO-SEMANTICS §7.3), in full. Pure: the store spec holds the data.
 * Used by the demo, examples and tests; it never touches a network.
 */
import { NoSecretError, ValidationError } from '../../core/index.ts';
import { getProperty, extractJsonMap } from '../values.ts';
import type { SecretDataMap, SecretsClient } from '../provider.ts';
import type { ExternalSecretFind, FakeProvider, RemoteRef } from '../types.ts';
import { convertKeys } from '../keys.ts';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

export function validateFakeStore(p: FakeProvider): void {
  for (const d of p.data) {
    if (!d.key) throw new ValidationError(`key must be set in data ${goValue(d)}`);
    if (d.value === undefined && d.valueMap === undefined) {
      throw new ValidationError(`at least one value must be set in data ${goValue(d)}`);
    }
  }
}

function goValue(d: { key?: string; value?: string; version?: string }): string {
  return `{Key:${d.key ?? ''} Value:${d.value ?? ''} ValueMap:map[] Version:${d.version ?? ''}}`;
}

export class FakeSecretsClient implements SecretsClient {
  readonly #entries = new Map<string, { key: string; value: string; version: string }>();

  constructor(provider: FakeProvider) {
    for (const d of provider.data) {
      const version = d.version ?? '';
      const value = d.value ?? (d.valueMap ? JSON.stringify(d.valueMap) : '');
      // ESO stores entries under key+version (string concatenation): {foo1} and {foo, 1} collide.
      this.#entries.set(d.key + version, { key: d.key, value, version });
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
    const selected = getProperty(value, ref.property, 'plain');
    if (selected === undefined) throw new NoSecretError();
    return utf8(selected);
  }

  async getSecretMap(ref: RemoteRef): Promise<SecretDataMap> {
    const bytes = await this.getSecret(ref);
    return extractJsonMap(bytes, (e) => `unable to unmarshal secret: ${e}`);
  }

  async getAllSecrets(find: ExternalSecretFind): Promise<SecretDataMap> {
    if (!find.name) throw new ValidationError(`unsupported find operator: ${goFind(find)}`);
    const re = compileFindRegexp(find.name.regexp);
    const best = new Map<string, { value: string; version: string }>();
    for (const e of this.#entries.values()) {
      if (!re.test(e.key)) continue;
      const prev = best.get(e.key);
      // ESO keeps the greatest version by string comparison ("9" > "10"); versioned beats unversioned.
      if (!prev || e.version > prev.version) best.set(e.key, { value: e.value, version: e.version });
    }
    const out: SecretDataMap = {};
    for (const [k, v] of best) out[k] = utf8(v.value);
    return convertKeys(find.conversionStrategy ?? '', out);
  }
}

function goFind(find: ExternalSecretFind): string {
  return `&v1.ExternalSecretFind{Path:(*string)(nil), Name:(*v1.FindName)(nil), Tags:map[string]string(nil), ConversionStrategy:"${find.conversionStrategy ?? ''}", DecodingStrategy:"${find.decodingStrategy ?? ''}"}`;
}

export function compileFindRegexp(source: string): RegExp {
  try {
    return new RegExp(source, 'u');
  } catch (e) {
    throw new ValidationError(`could not compile find.name.regexp [${source}]: ${(e as Error).message}`);
  }
}
