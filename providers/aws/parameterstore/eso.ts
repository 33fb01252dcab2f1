/**
 * ESO's AWS Parameter Store semantics (ESO providers/v1/aws/parameterstore/parameterstore.go), with the SSM
 * API injected: no SDK, no network here. session.ts wires the real SDK in; tests pass an in-memory API.
 *
 * One `ParameterStoreClient` lives for one sync and reads each parameter (name, version, value or tags) at
 * most once; `prefetch` reads a sync's unversioned refs with GetParameters (≤ 10 names a call), which
 * returns the same decrypted values GetParameter would.
 */
import { EsiError, NoSecretError } from '../../../core/index.ts';
import { awsPropertyOf, compileFindRegexp, type ExternalSecretFind, type RemoteRef, type SecretDataMap, type SecretsClient } from '../../../eso/index.ts';
import { awsApiError, awsErrorCode, awsSecretMap, awsTagsJson, reportedCall, type AwsCallReporting, type AwsTag } from '../common.ts';

/** GetParameters takes at most 10 names per call. */
export const GET_PARAMETERS_MAX = 10;
/** The Go SDK's service name in error texts (`operation error SSM: GetParameter, …`). */
const SERVICE = 'SSM';

export interface SsmParameter {
  Name?: string;
  Value?: string;
}
export interface SsmParameterFilter {
  Key: string;
  Option?: string;
  Values: string[];
}

/** The SSM calls ESO makes (and GetParameters for prefetch). Errors are SDK errors: `name` is the AWS error code. */
export interface ParameterStoreApi {
  getParameter(input: { Name: string; WithDecryption: boolean }): Promise<{ Parameter?: SsmParameter }>;
  getParameters(input: { Names: string[]; WithDecryption: boolean }): Promise<{ Parameters?: SsmParameter[]; InvalidParameters?: string[] }>;
  getParametersByPath(input: { Path: string; Recursive: boolean; WithDecryption: boolean; NextToken?: string }): Promise<{ Parameters?: SsmParameter[]; NextToken?: string }>;
  describeParameters(input: { ParameterFilters?: SsmParameterFilter[]; NextToken?: string }): Promise<{ Parameters?: { Name?: string }[]; NextToken?: string }>;
  listTagsForResource(input: { ResourceType: 'Parameter'; ResourceId: string }): Promise<{ TagList?: AwsTag[] }>;
}

// ---- pure helpers -------------------------------------------------------------------------------------

/** ESO's parameterNameWithVersion: `<prefix><key>`, with `:<version>` when a version is set (a version or a label). */
export function parameterName(prefix: string, ref: RemoteRef): string {
  return ref.version ? `${prefix}${ref.key}:${ref.version}` : `${prefix}${ref.key}`;
}

/** ESO maps only ParameterNotFound to NoSecretErr. */
export function isParameterNotFound(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { name?: string }).name === 'ParameterNotFound';
}

/** GetSecret's value for a fetched parameter: the whole value, or `property` through gjson (a literal dotted key first). */
export function parameterValue(ref: RemoteRef, value: string | undefined): Uint8Array {
  if (value === undefined) throw new EsiError('aws-invalid-secret', `invalid secret received. parameter value is nil for key: ${ref.key}`);
  if (!ref.property) return Buffer.from(value, 'utf8');
  const val = awsPropertyOf(value, ref.property);
  if (val === undefined) throw new EsiError('property-not-found', `key ${ref.property} does not exist in secret ${ref.key}`);
  return val;
}

/** DescribeParameters filters for `find.tags` (each `tag:<key>` Equals), then `find.path` (Path, Recursive). */
export function findFilters(find: ExternalSecretFind, path: string | undefined): SsmParameterFilter[] {
  const tags = find.tags ?? {};
  const filters: SsmParameterFilter[] = Object.keys(tags)
    .sort()
    .map((k) => ({ Key: `tag:${k}`, Option: 'Equals', Values: [tags[k]!] }));
  if (path !== undefined) filters.push({ Key: 'Path', Option: 'Recursive', Values: [path] });
  return filters;
}

// ---- the client ------------------------------------------------------------------------------------------

export interface ParameterStoreClientOptions extends AwsCallReporting {
  /** Store `prefix`, prepended to every remoteRef.key (not to names `find` lists). */
  prefix?: string;
  /** Called when GetParametersByPath is denied and find falls back to DescribeParameters, as ESO logs it. */
  onFallback?: (path: string) => void;
}

export class ParameterStoreClient implements SecretsClient {
  readonly #api: ParameterStoreApi;
  readonly #prefix: string;
  readonly #opts: ParameterStoreClientOptions;
  /** `V <name>` / `T <name>` → the value or the tags JSON (successes only; failures are re-read, like ESO). */
  readonly #cache = new Map<string, Promise<string | undefined>>();

  constructor(api: ParameterStoreApi, opts: ParameterStoreClientOptions = {}) {
    this.#api = api;
    this.#prefix = opts.prefix ?? '';
    this.#opts = opts;
  }

  #call<T>(op: string, f: () => Promise<T>): Promise<T> {
    return reportedCall(this.#opts, op, f);
  }

  #cached(key: string, load: () => Promise<string | undefined>): Promise<string | undefined> {
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const p = load();
    this.#cache.set(key, p);
    p.catch(() => this.#cache.delete(key));
    return p;
  }

  /** GetParameter WithDecryption: the value; errors are the SDK's (callers map them as ESO does there). */
  #value(name: string): Promise<string | undefined> {
    return this.#cached(`V ${name}`, async () => {
      const out = await this.#call('GetParameter', () => this.#api.getParameter({ Name: name, WithDecryption: true }));
      return out.Parameter?.Value;
    });
  }

  /** metadataPolicy Fetch: ListTagsForResource of the (versioned) name, as a JSON object. */
  #tags(name: string): Promise<string | undefined> {
    return this.#cached(`T ${name}`, async () => {
      try {
        const out = await this.#call('ListTagsForResource', () => this.#api.listTagsForResource({ ResourceType: 'Parameter', ResourceId: name }));
        return awsTagsJson(out.TagList);
      } catch (e) {
        const err = awsApiError(e, 'ListTagsForResource', SERVICE);
        throw new EsiError(err.code, `error listing tags ${err.message}`);
      }
    });
  }

  /**
   * Reads every plain ref (no metadataPolicy Fetch) of a sync with GetParameters, ≤ 10 names a call, into
   * the per-sync cache. Names it reports invalid, and any failed call, are left to GetParameter, which
   * gives ESO's own error for them.
   */
  async prefetch(refs: RemoteRef[]): Promise<void> {
    // Versioned refs are left to GetParameter: GetParameters answers a selector under the plain name.
    await this.#prefetchNames(refs.filter((r) => r.metadataPolicy !== 'Fetch' && !r.version).map((r) => parameterName(this.#prefix, r)));
  }

  async #prefetchNames(all: string[]): Promise<void> {
    const names = [...new Set(all)].filter((n) => !this.#cache.has(`V ${n}`));
    for (let i = 0; i < names.length; i += GET_PARAMETERS_MAX) {
      const chunk = names.slice(i, i + GET_PARAMETERS_MAX);
      let out: { Parameters?: SsmParameter[] };
      try {
        out = await this.#call('GetParameters', () => this.#api.getParameters({ Names: chunk, WithDecryption: true }));
      } catch {
        return;
      }
      const byName = new Map((out.Parameters ?? []).map((p) => [p.Name ?? '', p.Value]));
      for (const name of chunk) {
        const hit = byName.get(name);
        if (hit !== undefined && !this.#cache.has(`V ${name}`)) this.#cache.set(`V ${name}`, Promise.resolve(hit));
      }
    }
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    const name = parameterName(this.#prefix, ref);
    if (ref.metadataPolicy === 'Fetch') return parameterValue(ref, await this.#tags(name));
    let value: string | undefined;
    try {
      value = await this.#value(name);
    } catch (e) {
      if (isParameterNotFound(e)) throw new NoSecretError();
      throw awsApiError(e, 'GetParameter', SERVICE);
    }
    return parameterValue(ref, value);
  }

  async getSecretMap(ref: RemoteRef): Promise<SecretDataMap> {
    return awsSecretMap(ref, await this.getSecret(ref));
  }

  /** ESO's GetAllSecrets: by name (GetParametersByPath, DescribeParameters when denied), else by tags; path default `/`. */
  async getAllSecrets(find: ExternalSecretFind): Promise<SecretDataMap> {
    if (find.name) return this.#findByName(find);
    if (find.tags !== undefined) return this.#describeAndFetch(findFilters(find, find.path));
    throw new EsiError('aws-find', 'unexpected find operator');
  }

  async #findByName(find: ExternalSecretFind): Promise<SecretDataMap> {
    const matcher = compileFindRegexp(find.name!.regexp);
    const path = find.path ?? '/';
    const data: SecretDataMap = {};
    let next: string | undefined;
    do {
      let page: { Parameters?: SsmParameter[]; NextToken?: string };
      try {
        page = await this.#call('GetParametersByPath', () => this.#api.getParametersByPath({ Path: path, Recursive: true, WithDecryption: true, NextToken: next }));
      } catch (e) {
        if (awsErrorCode(e) === 'AccessDeniedException') {
          this.#opts.onFallback?.(path);
          return this.#describeAndFetch(findFilters({}, path), matcher);
        }
        throw new EsiError('aws-api', `fetching parameters by path ${path}: ${awsApiError(e, 'GetParametersByPath', SERVICE).message}`);
      }
      for (const p of page.Parameters ?? []) {
        const name = p.Name ?? '';
        if (matcher.test(name)) data[name] = Buffer.from(p.Value ?? '', 'utf8');
      }
      next = page.NextToken;
    } while (next);
    return data;
  }

  /** DescribeParameters with `filters`, then GetParameter for each (matching) name, as ESO's fetchAndSet. */
  async #describeAndFetch(filters: SsmParameterFilter[], matcher?: { test(name: string): boolean }): Promise<SecretDataMap> {
    const data: SecretDataMap = {};
    let next: string | undefined;
    do {
      let page: { Parameters?: { Name?: string }[]; NextToken?: string };
      try {
        page = await this.#call('DescribeParameters', () => this.#api.describeParameters({ ParameterFilters: filters, NextToken: next }));
      } catch (e) {
        throw awsApiError(e, 'DescribeParameters', SERVICE);
      }
      const names = (page.Parameters ?? []).map((p) => p.Name ?? '').filter((n) => !matcher || matcher.test(n));
      // ESO reads each listed name with GetParameter; GetParameters reads the same values ten at a time.
      await this.#prefetchNames(names);
      for (const name of names) {
        try {
          data[name] = Buffer.from((await this.#value(name)) ?? '', 'utf8');
        } catch (e) {
          // ESO's fetchAndSet: the sanitised SDK error, ParameterNotFound included (a listed name vanished).
          throw awsApiError(e, 'GetParameter', SERVICE);
        }
      }
      next = page.NextToken;
    } while (next);
    return data;
  }
}
