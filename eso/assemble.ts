/**
 * Data assembly (ESO-SEMANTICS §3): dataFrom in order, then data[], post-processing of maps, and the
 * NoSecretErr rules of deletionPolicy. Pure apart from the injected SecretsClient calls.
 */
import { EsiError, NoSecretError, describeError } from '../core/index.ts';
import type { ClientResolver, SecretDataMap } from './provider.ts';
import type { ExternalSecret, ExternalSecretDataFrom, NullBytePolicy, SecretStoreRef } from './types.ts';
import { convertKeys, validateKeys } from './keys.ts';
import { decode, decodeMap } from './decoding.ts';
import { applyRewrites } from './rewrite.ts';
import { compareBytes } from './hash.ts';

/** The store a data/dataFrom entry reads from: its own sourceRef.storeRef, else the ES's secretStoreRef. */
export function storeRefFor(es: ExternalSecret, sourceStoreRef?: SecretStoreRef): Required<SecretStoreRef> {
  const ref = sourceStoreRef ?? es.spec.secretStoreRef;
  if (!ref) throw new EsiError('no-store', 'spec.secretStoreRef: required when an entry has no sourceRef.storeRef');
  return { name: ref.name, kind: ref.kind || 'SecretStore' };
}

function wrapped(message: string, cause: unknown): EsiError {
  const inner = describeError(cause);
  const code = cause instanceof EsiError ? cause.code : 'provider';
  return new EsiError(code, `${message}${inner}`, { cause });
}

function checkNullBytes(policy: NullBytePolicy | undefined, key: string, value: Uint8Array): void {
  if (policy === 'Fail' && value.includes(0)) {
    throw new EsiError(
      'null-bytes',
      `fetched secret value for key ${JSON.stringify(key)} contains null bytes; use a text-safe format such as PEM/base64 or leave nullBytePolicy unset for intentional binary data`,
    );
  }
}

function postProcess(
  m: SecretDataMap,
  opts: { rewrite?: ExternalSecretDataFrom['rewrite']; conversionStrategy?: string; decodingStrategy?: string; nullBytePolicy?: NullBytePolicy },
): SecretDataMap {
  let out = m;
  if (opts.rewrite && opts.rewrite.length > 0) {
    try {
      out = applyRewrites(opts.rewrite, out);
    } catch (e) {
      throw wrapped('error applying rewrite to keys: ', e);
    }
  } else {
    try {
      out = convertKeys((opts.conversionStrategy ?? '') as never, out);
    } catch (e) {
      throw wrapped(`error applying conversion strategy ${opts.conversionStrategy ?? ''} to keys: `, e);
    }
  }
  try {
    out = validateKeys(out);
  } catch (e) {
    throw wrapped('invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): ', e);
  }
  try {
    out = decodeMap((opts.decodingStrategy ?? '') as never, out);
  } catch (e) {
    throw wrapped(`error applying decoding strategy ${opts.decodingStrategy ?? ''} to data: `, e);
  }
  for (const k of Object.keys(out).sort(compareBytes)) checkNullBytes(opts.nullBytePolicy, k, out[k]!);
  return out;
}

/** ESO's GetProviderSecretData. Throws the wrapped error text ESO reports; never a value in it. */
export async function assembleSecretData(es: ExternalSecret, clientFor: ClientResolver): Promise<SecretDataMap> {
  const skipMissing = es.spec.target.deletionPolicy !== 'Retain';
  const providerData: SecretDataMap = {};
  for (const [i, ref] of (es.spec.dataFrom ?? []).entries()) {
    let m: SecretDataMap;
    try {
      if (ref.find) {
        const client = await clientFor(storeRefFor(es, ref.sourceRef?.storeRef));
        let raw: SecretDataMap;
        try {
          raw = await client.getAllSecrets(ref.find);
        } catch (e) {
          if (e instanceof NoSecretError) throw e;
          throw wrapped('error getting all secrets: ', e);
        }
        m = postProcess(raw, { rewrite: ref.rewrite, ...ref.find });
      } else if (ref.extract) {
        const client = await clientFor(storeRefFor(es, ref.sourceRef?.storeRef));
        m = postProcess(await client.getSecretMap(ref.extract), { rewrite: ref.rewrite, ...ref.extract });
      } else if (ref.sourceRef?.generatorRef) {
        throw new EsiError('unsupported', 'generators are not supported by esi');
      } else {
        throw new EsiError('invalid', `spec.dataFrom[${i}]: either extract, find, or sourceRef must be set to dataFrom`);
      }
    } catch (e) {
      if (e instanceof NoSecretError && skipMissing) continue;
      const w = ref.find ? 'find' : ref.extract ? 'extract' : ref.sourceRef?.generatorRef ? 'sourceRef.generatorRef' : undefined;
      if (!w) throw e;
      throw wrapped(`error processing spec.dataFrom[${i}].${w}, err: `, e);
    }
    Object.assign(providerData, m);
  }
  for (const [i, d] of (es.spec.data ?? []).entries()) {
    try {
      const client = await clientFor(storeRefFor(es, d.sourceRef?.storeRef));
      let v = await client.getSecret(d.remoteRef);
      try {
        v = decode((d.remoteRef.decodingStrategy ?? '') as never, v);
      } catch (e) {
        throw wrapped(`error applying decoding strategy ${d.remoteRef.decodingStrategy ?? ''} to data: `, e);
      }
      checkNullBytes(d.remoteRef.nullBytePolicy, d.secretKey, v);
      providerData[d.secretKey] = v;
    } catch (e) {
      if (e instanceof NoSecretError && skipMissing) continue;
      throw wrapped(`error processing spec.data[${i}] (key: ${d.remoteRef.key}), err: `, e);
    }
  }
  return providerData;
}
