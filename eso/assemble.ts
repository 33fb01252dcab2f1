/**
 * Data assembly (ESO v2.9.0 pkg/controllers/externalsecret/externalsecret_controller_secret.go GetProviderSecretData): dataFrom in order, then data[],
 * post-processing of maps, and the NoSecretErr rules of deletionPolicy. Pure apart from the injected
 * SecretsClient calls. Errors carry ESO's exact wrapped text and the field at fault.
 */
import { EsiError } from '../core/index.ts';
import { EsoError, isNoSecretError, wrapError } from './errors.ts';
import { newDataMap, type ClientResolver, type SecretDataMap } from './provider.ts';
import type { ExternalSecret, ExternalSecretDataFrom, NullBytePolicy, RemoteRef, Rewrite, SecretStoreRef } from './types.ts';
import { convertKeys, validateKeys } from './keys.ts';
import { decode, decodeMap } from './decoding.ts';
import { applyRewrites } from './rewrite.ts';
import { compareBytes } from './hash.ts';
import type { TemplateEngine } from './templating.ts';
import { goQuote } from '../core/go/strconv.ts';

/** The store a data/dataFrom entry reads from: its own sourceRef.storeRef, else the ES's secretStoreRef. */
export function storeRefFor(es: ExternalSecret, sourceStoreRef?: SecretStoreRef): Required<SecretStoreRef> {
  const ref = sourceStoreRef ?? es.spec.secretStoreRef ?? { name: '', kind: '' };
  return { name: ref.name ?? '', kind: ref.kind || 'SecretStore' };
}

/**
 * Every store an ExternalSecret reads from, once each, kind defaulted (`secretStoreRef` and the
 * `sourceRef.storeRef` of data and dataFrom entries), in first-use order.
 */
export function externalSecretStoreRefs(es: ExternalSecret): Required<SecretStoreRef>[] {
  const refs: (SecretStoreRef | undefined)[] = [es.spec.secretStoreRef, ...(es.spec.data ?? []).map((d) => d.sourceRef?.storeRef), ...(es.spec.dataFrom ?? []).map((d) => d.sourceRef?.storeRef)];
  const seen = new Map<string, Required<SecretStoreRef>>();
  for (const r of refs) {
    if (!r) continue;
    const kind = r.kind || 'SecretStore';
    seen.set(`${kind}/${r.name}`, { name: r.name, kind });
  }
  return [...seen.values()];
}

export function nullBytesError(key: string): EsoError {
  return new EsoError(
    'null-bytes',
    `fetched secret value for key ${goQuote(key)} contains null bytes; use a text-safe format such as PEM/base64 or leave nullBytePolicy unset for intentional binary data`,
  );
}

function checkNullBytes(policy: NullBytePolicy | undefined, key: string, value: Uint8Array): void {
  if (policy === 'Fail' && value.includes(0)) throw nullBytesError(key);
}

export interface PostProcessOptions {
  rewrite?: Rewrite[];
  conversionStrategy?: string;
  decodingStrategy?: string;
  nullBytePolicy?: NullBytePolicy;
  engine?: TemplateEngine;
}

/** handleExtractSecrets / handleFindAllSecrets after the provider call, in ESO's order. */
export function postProcessMap(m: SecretDataMap, opts: PostProcessOptions): SecretDataMap {
  let out = m;
  try {
    out = applyRewrites(opts.rewrite ?? [], out, opts.engine);
  } catch (e) {
    if (e instanceof EsiError && e.code === 'not-available') throw e;
    throw wrapError('error applying rewrite to keys: ', e);
  }
  if ((opts.rewrite ?? []).length === 0) {
    try {
      out = convertKeys((opts.conversionStrategy ?? '') as never, out);
    } catch (e) {
      throw wrapError(`error applying conversion strategy ${opts.conversionStrategy ?? ''} to keys: `, e);
    }
  }
  try {
    out = validateKeys(out);
  } catch (e) {
    throw wrapError('invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): ', e);
  }
  try {
    out = decodeMap((opts.decodingStrategy ?? '') as never, out);
  } catch (e) {
    throw wrapError(`error applying decoding strategy ${opts.decodingStrategy ?? ''} to data: `, e);
  }
  if (opts.nullBytePolicy === 'Fail') {
    for (const k of Object.keys(out).sort(compareBytes)) checkNullBytes(opts.nullBytePolicy, k, out[k]!);
  }
  return out;
}

export interface AssembleOptions {
  engine?: TemplateEngine;
  /** Called for each entry skipped because the provider said NoSecretErr (deletionPolicy Delete|Merge). */
  onMissing?: (field: string) => void;
}

function describeRef(ref: RemoteRef): string {
  return `key ${JSON.stringify(ref.key)}${ref.property ? `, property ${JSON.stringify(ref.property)}` : ''}${ref.version ? `, version ${JSON.stringify(ref.version)}` : ''}`;
}

function dataFromField(i: number, ref: ExternalSecretDataFrom): string {
  if (ref.find) return `spec.dataFrom[${i}].find`;
  if (ref.extract) return `spec.dataFrom[${i}].extract (${describeRef(ref.extract)})`;
  return `spec.dataFrom[${i}].sourceRef`;
}

/** ESO's GetProviderSecretData. Throws the wrapped error text ESO reports; never a value in it. */
export async function assembleSecretData(es: ExternalSecret, clientFor: ClientResolver, opts: AssembleOptions = {}): Promise<SecretDataMap> {
  const skipMissing = es.spec.target.deletionPolicy !== 'Retain';
  const providerData = newDataMap();
  for (const [i, ref] of (es.spec.dataFrom ?? []).entries()) {
    const field = dataFromField(i, ref);
    let m: SecretDataMap | undefined;
    let err: unknown;
    try {
      if (ref.find) {
        const client = await clientFor(storeRefFor(es, ref.sourceRef?.storeRef));
        let raw: SecretDataMap;
        try {
          raw = await client.getAllSecrets(ref.find);
        } catch (e) {
          if (e instanceof EsiError && e.code === 'not-available') throw e;
          throw wrapError('error getting all secrets: ', e);
        }
        m = postProcessMap(raw, { rewrite: ref.rewrite, ...ref.find, engine: opts.engine });
      } else if (ref.extract) {
        const client = await clientFor(storeRefFor(es, ref.sourceRef?.storeRef));
        m = postProcessMap(await client.getSecretMap(ref.extract), { rewrite: ref.rewrite, ...ref.extract, engine: opts.engine });
      } else if (ref.sourceRef?.generatorRef) {
        throw new EsoError('unsupported', `generators are not supported by esi (${ref.sourceRef.generatorRef.kind} ${ref.sourceRef.generatorRef.name})`);
      }
    } catch (e) {
      if (e instanceof EsiError && e.code === 'not-available') throw e;
      const what = ref.find ? 'find' : ref.extract ? 'extract' : 'sourceRef.generatorRef';
      err = wrapError(`error processing spec.dataFrom[${i}].${what}, err: `, e, field);
    }
    if (err !== undefined) {
      if (isNoSecretError(err) && skipMissing) {
        opts.onMissing?.(`spec.dataFrom[${i}]`);
        continue;
      }
      throw err;
    }
    Object.assign(providerData, m ?? {});
  }
  for (const [i, d] of (es.spec.data ?? []).entries()) {
    try {
      const client = await clientFor(storeRefFor(es, d.sourceRef?.storeRef));
      let v = await client.getSecret(d.remoteRef);
      try {
        v = decode((d.remoteRef.decodingStrategy ?? '') as never, v);
      } catch (e) {
        throw wrapError(`error applying decoding strategy ${d.remoteRef.decodingStrategy ?? ''} to data: `, e);
      }
      checkNullBytes(d.remoteRef.nullBytePolicy, d.secretKey, v);
      providerData[d.secretKey] = v;
    } catch (e) {
      if (e instanceof EsiError && e.code === 'not-available') throw e;
      if (isNoSecretError(e) && skipMissing) {
        opts.onMissing?.(`spec.data[${i}]`);
        continue;
      }
      throw wrapError(`error processing spec.data[${i}] (key: ${d.remoteRef.key}), err: `, e, `spec.data[${i}].remoteRef (${describeRef(d.remoteRef)})`);
    }
  }
  return providerData;
}
