/**
 * ESO's AWS Secrets Manager provider semantics (ESO providers/v1/aws/secretsmanager/secretsmanager.go), with
 * the Secrets Manager API injected: no SDK, no network here. session.ts wires the real SDK in; tests pass an
 * in-memory API.
 *
 * One `AwsSecretsManagerClient` lives for one sync. It caches each fetch by `key#version#SECRET|TAG` as
 * ESO does, and additionally lets the caller `prefetch` every ref of a sync with BatchGetSecretValue
 * (≤ 20 ids a call), so a sync reads each distinct remote key once.
 */
import { EsiError, NoSecretError } from '../../../core/index.ts';
import { awsPropertyOf, compileFindRegexp, type ExternalSecretFind, type FindRegexp, type RemoteRef, type SecretDataMap, type SecretsClient } from '../../../eso/index.ts';
import { awsApiError, awsErrorCode, awsSecretMap, awsTagsJson, reportedCall, type AwsCallReporting, type AwsTag, type SdkErrorLike } from '../common.ts';

export { awsApiError, awsErrorCode, awsSecretMap, awsTagsJson, sanitizeAwsMessage, type AwsTag } from '../common.ts';

export const AWSCURRENT = 'AWSCURRENT';
/** BatchGetSecretValue takes at most 20 ids per call. */
export const BATCH_MAX_IDS = 20;
/** BatchGetSecretValue calls in flight at once after the first (quota: 100/s per account). */
export const BATCH_CONCURRENCY = 4;

/** The fields of GetSecretValue / SecretValueEntry that ESO reads. */
export interface AwsSecretValue {
  Name?: string;
  SecretString?: string;
  SecretBinary?: Uint8Array;
}
export interface AwsFilter {
  Key: 'name' | 'tag-key' | 'tag-value';
  Values: string[];
}
export interface AwsBatchResult {
  SecretValues?: (AwsSecretValue & { Name?: string; ARN?: string })[];
  Errors?: { SecretId?: string; ErrorCode?: string; Message?: string }[];
  NextToken?: string;
}

/** The Secrets Manager calls ESO makes. Errors are thrown as SDK errors: `name` is the AWS error code. */
export interface AwsSecretsManagerApi {
  getSecretValue(input: { SecretId: string; VersionId?: string; VersionStage?: string }): Promise<AwsSecretValue>;
  describeSecret(input: { SecretId: string }): Promise<{ Tags?: AwsTag[] }>;
  listSecrets(input: { Filters?: AwsFilter[]; NextToken?: string }): Promise<{ SecretList?: { Name?: string }[]; NextToken?: string }>;
  batchGetSecretValue(input: { SecretIdList?: string[]; Filters?: AwsFilter[]; NextToken?: string }): Promise<AwsBatchResult>;
}

// ---- pure helpers -------------------------------------------------------------------------------------

export function awsVersion(ref: RemoteRef): string {
  return ref.version ? ref.version : AWSCURRENT;
}

/** ESO's per-sync cache key: `<prefix+key>#<version>#SECRET|TAG`. */
export function awsCacheKey(prefix: string, ref: RemoteRef): string {
  return `${prefix}${ref.key}#${awsVersion(ref)}#${ref.metadataPolicy === 'Fetch' ? 'TAG' : 'SECRET'}`;
}

/** `uuid/<id>` selects a VersionId; anything else is a staging label (so a bare UUID is a stage name). */
export function getSecretValueInput(prefix: string, ref: RemoteRef): { SecretId: string; VersionId?: string; VersionStage?: string } {
  const ver = awsVersion(ref);
  const SecretId = prefix + ref.key;
  return ver.startsWith('uuid/') ? { SecretId, VersionId: ver.slice('uuid/'.length) } : { SecretId, VersionStage: ver };
}

/** ESO maps ResourceNotFoundException, and InvalidParameterException "was marked for deletion", to NoSecretErr. */
export function isAwsNoSecret(err: unknown): boolean {
  const e = err as SdkErrorLike;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'ResourceNotFoundException') return true;
  return e.name === 'InvalidParameterException' && String(e.message ?? '').includes('was marked for deletion');
}

/** ESO's payload for property lookups: SecretBinary (its bytes) wins over SecretString. */
function payloadOf(out: AwsSecretValue): string | Uint8Array {
  if (out.SecretBinary !== undefined) return out.SecretBinary;
  return out.SecretString ?? '';
}

/** GetSecret's value for a fetched secret (ESO providers/v1/aws/secretsmanager GetSecretValue). */
export function awsValue(ref: RemoteRef, out: AwsSecretValue): Uint8Array {
  if (!ref.property) {
    if (out.SecretString !== undefined) return Buffer.from(out.SecretString, 'utf8');
    if (out.SecretBinary !== undefined) return out.SecretBinary;
    throw new EsiError('aws-invalid-secret', `invalid secret received. no secret string nor binary for key: ${ref.key}`);
  }
  // A literal dotted key wins over the same text read as a gjson path (awsPropertyOf does both).
  const val = awsPropertyOf(payloadOf(out), ref.property);
  if (val === undefined) throw new EsiError('property-not-found', `key ${ref.property} does not exist in secret ${ref.key}`);
  return val;
}

/** Which API ESO's GetAllSecrets uses for a `find` (ESO secretsmanager.go GetAllSecrets). */
export type AwsFindPlan =
  | { api: 'ListSecrets'; filters: AwsFilter[]; regexp: FindRegexp }
  | { api: 'BatchGetSecretValue'; filters: AwsFilter[]; regexp?: FindRegexp };

export function planAwsFind(find: ExternalSecretFind): AwsFindPlan {
  const hasName = !!find.name;
  const tags = find.tags ?? {};
  const hasTags = Object.keys(tags).length > 0;
  if (!hasName && !hasTags) throw new EsiError('aws-find', 'unexpected find operator');
  const filters: AwsFilter[] = [];
  for (const k of Object.keys(tags).sort()) {
    filters.push({ Key: 'tag-key', Values: [k] }, { Key: 'tag-value', Values: [tags[k]] });
  }
  if (hasName) {
    const regexp = compileFindRegexp(find.name!.regexp);
    if (find.path !== undefined) {
      filters.push({ Key: 'name', Values: [find.path] });
      return { api: 'BatchGetSecretValue', filters, regexp };
    }
    return { api: 'ListSecrets', filters, regexp };
  }
  if (find.path !== undefined) filters.push({ Key: 'name', Values: [find.path] });
  return { api: 'BatchGetSecretValue', filters };
}

/** ESO's setSecretValues: SecretBinary overwrites SecretString under the secret's name. */
function setEntry(data: SecretDataMap, name: string, v: AwsSecretValue): void {
  if (v.SecretString !== undefined) data[name] = Buffer.from(v.SecretString, 'utf8');
  if (v.SecretBinary !== undefined) data[name] = v.SecretBinary;
}

// ---- the client ------------------------------------------------------------------------------------------

export interface AwsClientOptions extends AwsCallReporting {
  /** Store `prefix`, prepended to every remoteRef.key. */
  prefix?: string;
  /** Use BatchGetSecretValue in `prefetch` (turned off for the rest of the client's life on AccessDenied). */
  batch?: boolean;
}

export class AwsSecretsManagerClient implements SecretsClient {
  readonly #api: AwsSecretsManagerApi;
  readonly #prefix: string;
  readonly #opts: AwsClientOptions;
  #batch: boolean;
  /** cache key → fetched value (ESO caches successes only; errors are re-fetched). */
  readonly #cache = new Map<string, Promise<AwsSecretValue>>();

  constructor(api: AwsSecretsManagerApi, opts: AwsClientOptions = {}) {
    this.#api = api;
    this.#prefix = opts.prefix ?? '';
    this.#opts = opts;
    this.#batch = opts.batch ?? true;
  }

  /** False once BatchGetSecretValue was refused (AccessDenied) or batching was off from the start. */
  get batching(): boolean {
    return this.#batch;
  }

  #call<T>(op: string, f: () => Promise<T>): Promise<T> {
    return reportedCall(this.#opts, op, f);
  }

  /**
   * Fetches every AWSCURRENT secret the refs name with BatchGetSecretValue, ≤ 20 ids a call, filling the
   * per-sync cache. Refs with a version or metadataPolicy Fetch are left to GetSecretValue/DescribeSecret.
   * Ids the batch reports as errors are left uncached, so their GetSecretValue gives ESO's exact error.
   * On AccessDenied the client stops batching and everything falls back to GetSecretValue.
   */
  async prefetch(refs: RemoteRef[]): Promise<void> {
    if (!this.#batch) return;
    const ids: string[] = [];
    for (const ref of refs) {
      if (ref.metadataPolicy === 'Fetch' || awsVersion(ref) !== AWSCURRENT) continue;
      const ck = awsCacheKey(this.#prefix, ref);
      if (this.#cache.has(ck)) continue;
      const id = this.#prefix + ref.key;
      if (!ids.includes(id)) ids.push(id);
    }
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH_MAX_IDS) chunks.push(ids.slice(i, i + BATCH_MAX_IDS));
    // The first call alone finds out whether the identity may batch; the rest then go out together.
    if (chunks.length === 0 || !(await this.#batchChunk(chunks[0]!))) return;
    const rest = chunks.slice(1);
    for (let i = 0; i < rest.length; i += BATCH_CONCURRENCY) {
      await Promise.all(rest.slice(i, i + BATCH_CONCURRENCY).map((c) => this.#batchChunk(c)));
    }
  }

  /** One BatchGetSecretValue call; false when the identity is denied batching (the client stops batching). */
  async #batchChunk(chunk: string[]): Promise<boolean> {
    if (!this.#batch) return false;
    let res: AwsBatchResult;
    try {
      res = await this.#call('BatchGetSecretValue', () => this.#api.batchGetSecretValue({ SecretIdList: chunk }));
    } catch (e) {
      if (awsErrorCode(e) === 'AccessDeniedException' || awsErrorCode(e) === 'AccessDenied') {
        this.#batch = false;
        return false;
      }
      // Any other batch failure: leave these ids to GetSecretValue, which reports ESO's own error.
      return true;
    }
    const byId = new Map<string, AwsSecretValue>();
    for (const v of res.SecretValues ?? []) {
      for (const idOf of [v.Name, v.ARN]) if (idOf) byId.set(idOf, v);
    }
    for (const id of chunk) {
      const v = byId.get(id);
      // Never overwrite an entry a concurrent GetSecretValue already holds.
      const ck = `${id}#${AWSCURRENT}#SECRET`;
      if (v && !this.#cache.has(ck)) this.#cache.set(ck, Promise.resolve(v));
    }
    return true;
  }

  /** ESO's `fetch`: GetSecretValue or DescribeSecret, cached per sync. Throws NoSecretError or raw SDK errors. */
  #fetch(ref: RemoteRef): Promise<AwsSecretValue> {
    const ck = awsCacheKey(this.#prefix, ref);
    const hit = this.#cache.get(ck);
    if (hit) return hit;
    const p = this.#construct(ref);
    this.#cache.set(ck, p);
    p.catch(() => this.#cache.delete(ck));
    return p;
  }

  async #construct(ref: RemoteRef): Promise<AwsSecretValue> {
    const key = this.#prefix + ref.key;
    if (ref.metadataPolicy === 'Fetch') {
      // DescribeSecret errors are not mapped to NoSecretErr (ESO).
      try {
        const d = await this.#call('DescribeSecret', () => this.#api.describeSecret({ SecretId: key }));
        return { SecretString: awsTagsJson(d.Tags) };
      } catch (e) {
        throw awsApiError(e, 'DescribeSecret');
      }
    }
    try {
      return await this.#call('GetSecretValue', () => this.#api.getSecretValue(getSecretValueInput(this.#prefix, ref)));
    } catch (e) {
      if (isAwsNoSecret(e)) throw new NoSecretError();
      throw awsApiError(e, 'GetSecretValue');
    }
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    return awsValue(ref, await this.#fetch(ref));
  }

  async getSecretMap(ref: RemoteRef): Promise<SecretDataMap> {
    return awsSecretMap(ref, await this.getSecret(ref));
  }

  async getAllSecrets(find: ExternalSecretFind): Promise<SecretDataMap> {
    const plan = planAwsFind(find);
    const data: SecretDataMap = {};
    let next: string | undefined;
    let op: string = plan.api;
    try {
      if (plan.api === 'ListSecrets') {
        do {
          op = 'ListSecrets';
          const page = await this.#call('ListSecrets', () => this.#api.listSecrets({ Filters: plan.filters, NextToken: next }));
          const matched = (page.SecretList ?? []).map((s) => s.Name ?? '').filter((name) => plan.regexp.test(name));
          // ESO then calls GetSecretValue per match; batching them first gives the same values in ≤ 1/20 the calls.
          await this.prefetch(matched.map((key) => ({ key })));
          for (const name of matched) {
            // ESO's fetchAndSet prepends the store prefix to the listed (already full) name again.
            op = 'GetSecretValue';
            setEntry(data, name, await this.#fetch({ key: name }));
          }
          next = page.NextToken;
        } while (next);
        return data;
      }
      do {
        const page = await this.#call('BatchGetSecretValue', () =>
          this.#api.batchGetSecretValue({ Filters: plan.filters, NextToken: next }),
        );
        for (const v of page.SecretValues ?? []) {
          const name = v.Name ?? '';
          if (plan.regexp && !plan.regexp.test(name)) continue;
          setEntry(data, name, v);
        }
        next = page.NextToken;
      } while (next);
      return data;
    } catch (e) {
      throw awsApiError(e, op);
    }
  }
}
