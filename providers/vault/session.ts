/**
 * Vault / OpenBao KV over plain HTTP(S) (node:http/https), with the pod's own identity.
 *
 * Why not node-vault: ESO's Vault client decodes responses with UseNumber, so `1.50` must reach the ESO
 * rules as the text `1.50`; node-vault (axios) parses JSON itself and loses that text. node-vault also reads
 * VAULT_ADDR / VAULT_TOKEN / VAULT_NAMESPACE / VAULT_SKIP_VERIFY from process.env on its own, and pulls
 * axios, mustache and tv4 into every pod. Raw bytes via node:https cost nothing and keep the bytes exact.
 *
 * Auth, in ESO's order of the store's `auth` block:
 *   tokenSecretRef  → env ESI_VAULT_TOKEN_<store>
 *   appRole         → roleId (store) or env ESI_VAULT_APPROLE_ROLE_ID_<store>; env ESI_VAULT_APPROLE_SECRET_ID_<store>
 *   kubernetes      → POST auth/<mountPath>/login {role, jwt}; jwt = env ESI_VAULT_JWT_<store> when the store
 *                     names `secretRef`, else the pod's projected token file (ctx.serviceAccountTokenPath)
 *   jwt             → POST auth/<path>/login {role, jwt}; same jwt sources
 *   none of these usable → VAULT_TOKEN from ctx.env (workstation `esi render`)
 * Login tokens are renewed (renew-self) after 2/3 of their TTL and replaced by a new login when renewal
 * fails, when they expire, or when Vault answers 403 (revoked token).
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EsiError } from '../../core/index.ts';
import type { SecretStore } from '../../eso/index.ts';
import { DEFAULT_TIMEOUT_MS, type ProviderContext, type StoreSession, type SyncClient } from '../context.ts';
import { httpsAgentFor, send, type HttpResponse } from '../http.ts';
import { planVaultAuth, set, vaultCaPem } from './config.ts';
import { VaultKvClient, type VaultHttpResult, type VaultKvApi } from './eso.ts';

interface TokenState {
  token: string;
  /** Seconds; 0 = no expiry. */
  ttl: number;
  renewable: boolean;
  obtainedAt: number;
  /** Login-issued (can be re-obtained) or given (env token). */
  fromLogin: boolean;
}

export interface VaultStats {
  logins: number;
  renewals: number;
}

export async function openVaultStore(store: SecretStore, ctx: ProviderContext): Promise<StoreSession & { stats: VaultStats }> {
  const v = store.spec.provider.vault!;
  const env = ctx.env;
  const timeoutMs = ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const server = v.server.replace(/\/+$/, '');
  const agent = httpsAgentFor(vaultCaPem(store));
  const plan = planVaultAuth(store, ctx);
  const now = () => (ctx.now ?? Date.now)();
  const storeId = `${store.kind}/${store.metadata.name}`;
  const authNamespace = v.auth?.namespace !== undefined ? v.auth.namespace : v.namespace;
  const stats: VaultStats = { logins: 0, renewals: 0 };
  let state: TokenState | undefined;
  let inflight: Promise<TokenState> | undefined;
  let lastIndex: string | undefined;
  let lastForcedLogin = -Infinity;

  const headersFor = (token: string | undefined, namespace: string | undefined): Record<string, string> => {
    const h: Record<string, string> = { ...(v.headers ?? {}) };
    if (token) h['X-Vault-Token'] = token;
    if (namespace) h['X-Vault-Namespace'] = namespace;
    if (v.readYourWrites && lastIndex) h['X-Vault-Index'] = lastIndex;
    if (v.forwardInconsistent) h['X-Vault-Inconsistent'] = 'forward-active-node';
    return h;
  };

  const exchange = async (method: string, apiPath: string, query: string, token: string | undefined, namespace: string | undefined, body?: string): Promise<HttpResponse> => {
    const url = `${server}/v1/${apiPath}${query ? `?${query}` : ''}`;
    const res = await send({ method, url, headers: headersFor(token, namespace), body, timeoutMs, signal: ctx.signal, agent });
    const idx = res.headers['x-vault-index'];
    if (v.readYourWrites && typeof idx === 'string') lastIndex = idx;
    return res;
  };

  const authError = (what: string, res: HttpResponse, path: string): EsiError => {
    let detail = '';
    try {
      detail = ((JSON.parse(res.body.toString('utf8')) as { errors?: string[] }).errors ?? []).join('; ');
    } catch {
      /* not JSON */
    }
    return new EsiError('vault-auth', `${storeId}: ${what} at ${server}/v1/${path} failed: HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
  };

  const login = async (): Promise<TokenState> => {
    if (plan.kind === 'token' || plan.kind === 'env-token') {
      const name = plan.kind === 'token' ? plan.envName : 'VAULT_TOKEN';
      const token = set(env, name);
      if (!token) {
        throw new EsiError('vault-auth', `${storeId}: tokenSecretRef is not in the environment (expected ${name}, set by the injector from secretKeyRef)`);
      }
      return { token, ttl: 0, renewable: false, obtainedAt: now(), fromLogin: false };
    }
    let payload: Record<string, string>;
    if (plan.method === 'approle') {
      const roleId = typeof plan.roleId === 'string' ? plan.roleId : set(env, plan.roleId!.env);
      const secretId = set(env, plan.secretIdEnv!);
      if (!roleId || !secretId) {
        throw new EsiError('vault-auth', `${storeId}: AppRole credentials are not in the environment (expected ${typeof plan.roleId === 'string' ? '' : plan.roleId!.env + ' and '}${plan.secretIdEnv})`);
      }
      payload = { role_id: roleId, secret_id: secretId };
    } else {
      const src = plan.jwtFrom!;
      let jwt: string | undefined;
      if ('file' in src) {
        try {
          jwt = (await readFile(src.file, 'utf8')).trim();
        } catch (e) {
          throw new EsiError('vault-auth', `${storeId}: cannot read the service-account token file ${src.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      } else jwt = set(env, src.env);
      if (!jwt) throw new EsiError('vault-auth', `${storeId}: no service-account token for Vault ${plan.method} auth (${'file' in src ? src.file : src.env} is empty)`);
      payload = { role: plan.role ?? '', jwt };
    }
    const path = `auth/${plan.mountPath}/login`;
    const t0 = now();
    const res = await exchange('POST', path, '', undefined, authNamespace, JSON.stringify(payload));
    ctx.metrics?.('vault', 'login', res.status === 200 ? 'ok' : 'error', (now() - t0) / 1000);
    if (res.status !== 200) throw authError(`${plan.method} login`, res, path);
    const auth = (JSON.parse(res.body.toString('utf8')) as { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } }).auth;
    if (!auth?.client_token) throw new EsiError('vault-auth', `${storeId}: ${plan.method} login at ${server}/v1/${path} returned no token`);
    stats.logins++;
    ctx.logger?.info({ store: storeId, method: plan.method, ttlSeconds: auth.lease_duration ?? 0 }, 'vault login');
    return { token: auth.client_token, ttl: auth.lease_duration ?? 0, renewable: !!auth.renewable, obtainedAt: now(), fromLogin: true };
  };

  const renew = async (s: TokenState): Promise<TokenState> => {
    const t0 = now();
    const res = await exchange('POST', 'auth/token/renew-self', '', s.token, authNamespace, '{}');
    ctx.metrics?.('vault', 'renew', res.status === 200 ? 'ok' : 'error', (now() - t0) / 1000);
    if (res.status !== 200) return login();
    const auth = (JSON.parse(res.body.toString('utf8')) as { auth?: { lease_duration?: number; renewable?: boolean } }).auth;
    stats.renewals++;
    return { ...s, ttl: auth?.lease_duration ?? s.ttl, renewable: !!auth?.renewable, obtainedAt: now() };
  };

  /** A valid token: renewed after 2/3 of its TTL, replaced by a new login shortly before it expires. */
  const token = (force = false): Promise<TokenState> => {
    if (inflight) return inflight;
    const s = state;
    let next: (() => Promise<TokenState>) | undefined;
    if (!s || force) next = login;
    else if (s.fromLogin && s.ttl > 0) {
      const age = (now() - s.obtainedAt) / 1000;
      if (age >= s.ttl - Math.min(2, s.ttl / 10)) next = login;
      else if (age >= (s.ttl * 2) / 3) next = s.renewable ? () => renew(s) : undefined;
    }
    if (!next) return Promise.resolve(s!);
    inflight = next()
      .then((ns) => (state = ns))
      .finally(() => (inflight = undefined));
    return inflight;
  };

  /** Like Vault's Go client: up to 2 retries on transport errors and 5xx (not 501), 250 ms then 750 ms apart. */
  const withRetries = async (f: () => Promise<HttpResponse>): Promise<HttpResponse> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await f();
        if (attempt < 2 && res.status >= 500 && res.status !== 501) {
          await sleep(attempt === 0 ? 250 : 750, undefined, { signal: ctx.signal });
          continue;
        }
        return res;
      } catch (e) {
        if (attempt >= 2 || ctx.signal?.aborted) throw e;
        await sleep(attempt === 0 ? 250 : 750, undefined, { signal: ctx.signal });
      }
    }
  };

  const call = async (method: 'GET', apiPath: string, query: string): Promise<VaultHttpResult> => {
    let s = await token();
    let res = await withRetries(() => exchange(method, apiPath, query, s.token, v.namespace));
    // 403 may mean the token was revoked or expired early: log in again (at most every 10 s), or reuse
    // the token a concurrent request has just obtained.
    if (res.status === 403 && s.fromLogin) {
      const current = inflight ? await inflight : state;
      let retry: TokenState | undefined;
      if (current && current.token !== s.token) retry = current;
      else if (now() - lastForcedLogin > 10_000) {
        lastForcedLogin = now();
        retry = await token(true);
      }
      if (retry) {
        s = retry;
        res = await withRetries(() => exchange(method, apiPath, query, s.token, v.namespace));
      }
    }
    return { status: res.status, body: res.body, method: query.includes('list=true') ? 'LIST' : method, url: `${server}/v1/${apiPath}${query ? `?${query}` : ''}`, namespace: v.namespace };
  };

  const api: VaultKvApi = {
    read: (apiPath, query) => call('GET', apiPath, query ? new URLSearchParams(query).toString() : ''),
    list: (apiPath) => call('GET', apiPath, 'list=true'),
  };

  const kvStore = { path: v.path, version: v.version ?? 'v2' };
  return {
    stats,
    forSync(): SyncClient {
      const c = new VaultKvClient(api, kvStore, {
        now: () => now() / 1000,
        onCall: (op, outcome, seconds) => {
          ctx.metrics?.('vault', op, outcome, seconds);
          ctx.logger?.debug({ backend: 'vault', op, outcome }, 'backend call');
        },
      });
      return {
        getSecret: (ref) => c.getSecret(ref),
        getSecretMap: (ref) => c.getSecretMap(ref),
        getAllSecrets: (find) => c.getAllSecrets(find),
        // Reads are cached per path; warming them concurrently saves latency, not calls.
        prefetch: async (refs) => {
          const todo = refs.filter((r) => r.metadataPolicy !== 'Fetch');
          // At most 8 reads in flight; failures surface later from the entry's own read.
          for (let i = 0; i < todo.length; i += 8) {
            await Promise.all(todo.slice(i, i + 8).map((r) => c.readSecret(r.key, r.version).catch(() => undefined)));
          }
        },
      };
    },
    async close() {
      agent?.destroy();
    },
  };
}
