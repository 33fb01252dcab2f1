/**
 * AdmissionReview v1 in, AdmissionReview v1 out: the webhook's whole decision, with no I/O. A pod that
 * opts in is run through the injector; a denial names the annotation; a patch is base64 RFC 6902.
 */
import { describeError, isObject, type Pod } from '../core/index.ts';
import { INJECT_LABEL } from '../contract/index.ts';
import { withRegexpBudget } from '../eso/index.ts';
import { CaNotFound, InjectionDenied, ServiceAccountNotLoaded, injectPod, type CaRef, type InjectContext, type PatchOp } from '../injector/index.ts';
import { PatchMemo, type MemoizedAnswer } from './patch-memo.ts';

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  namespace?: string;
  name?: string;
  operation?: string;
  object?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export type AdmissionResult = 'injected' | 'unchanged' | 'skipped' | 'denied' | 'error';

export interface AdmissionOutcome {
  review: AdmissionReview;
  result: AdmissionResult;
  dryRun: boolean;
  denialReason?: string;
  patch: PatchOp[];
  /** For logs: never a secret value (ESO objects hold none; pods' env values are not logged). */
  error?: string;
}

export class BadReview extends Error {}

/** Everything admission needs to know about the cluster, from the watch caches. */
export interface AdmissionEnv {
  context(namespace: string): InjectContext;
  /** False until the caches synced: then every opted-in pod is refused (failurePolicy Fail) rather than mis-injected. */
  ready(): boolean;
  /**
   * Fetches a CA a Vault store names by caProvider (not cached by the informers: a CA is read on
   * demand) so that `context()` can serve it; admission retries once after it.
   */
  fetchCa?(ref: CaRef): Promise<void>;
  /** Reads a ServiceAccount a store names (its annotations) so that `context()` can serve it; as fetchCa. */
  fetchServiceAccount?(namespace: string, name: string): Promise<void>;
  /**
   * Answers for pods seen before (webhook/patch-memo.ts); whoever serves `context()` clears it when
   * what `context()` returns changes.
   */
  memo?: PatchMemo;
}

const MAX_WARNING = 120;

/**
 * Regexp work one admission may do (eso/goregexp.ts withRegexpBudget): about 600 distinct
 * 25-instruction patterns compiled and matched, well under a second of one core (bench/regexp.mjs).
 * The engine is linear, but size × input still adds up over thousands of namespaceRegexes, and the
 * webhook answers every pod from one event loop. Ordinary stores use a few thousand units.
 */
export const ADMISSION_REGEXP_BUDGET = 5_000_000;

export function parseReview(body: unknown): AdmissionRequest {
  if (!isObject(body) || body['apiVersion'] !== 'admission.k8s.io/v1' || body['kind'] !== 'AdmissionReview') {
    throw new BadReview('expected an admission.k8s.io/v1 AdmissionReview');
  }
  const req = body['request'];
  if (!isObject(req) || typeof req['uid'] !== 'string' || req['uid'] === '') throw new BadReview('request.uid: required');
  return req as unknown as AdmissionRequest;
}

function answer(uid: string, a: MemoizedAnswer, dryRun: boolean): AdmissionOutcome {
  const warnings = a.warnings.length ? { warnings: [...a.warnings] } : {};
  const response: Omit<AdmissionResponse, 'uid'> = a.patch === undefined ? { allowed: true, ...warnings } : { allowed: true, patchType: 'JSONPatch', patch: a.patch, ...warnings };
  return { review: respond(uid, response), result: a.result, dryRun, patch: [...a.ops] };
}

function respond(uid: string, r: Omit<AdmissionResponse, 'uid'>): AdmissionReview {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, ...r } };
}

export async function admit(req: AdmissionRequest, env: AdmissionEnv): Promise<AdmissionOutcome> {
  const dryRun = req.dryRun === true;
  const isPod = (req.kind?.kind ?? 'Pod') === 'Pod' && (req.resource?.resource ?? 'pods') === 'pods' && !req.subResource;
  if (!isPod || req.operation !== 'CREATE' || !isObject(req.object)) {
    return { review: respond(req.uid, { allowed: true }), result: 'skipped', dryRun, patch: [] };
  }
  const pod = req.object as unknown as Pod;
  const namespace = req.namespace || pod.metadata?.namespace || 'default';
  if (!isObject(pod.metadata) || pod.metadata.labels?.[INJECT_LABEL] !== 'true') {
    return { review: respond(req.uid, { allowed: true }), result: 'skipped', dryRun, patch: [] };
  }
  if (!env.ready()) {
    const message = 'esi webhook is starting: its ExternalSecret and store caches have not synced yet; retry in a few seconds';
    return { review: respond(req.uid, { allowed: false, status: { code: 503, message, reason: 'ServiceUnavailable' } }), result: 'error', dryRun, patch: [], error: message };
  }
  const key = env.memo ? PatchMemo.key(namespace, pod) : undefined;
  const known = key === undefined ? undefined : env.memo!.get(key);
  if (known) return answer(req.uid, known, dryRun);
  try {
    let r;
    const inject = () => withRegexpBudget(ADMISSION_REGEXP_BUDGET, () => injectPod(pod, env.context(namespace)));
    // Each miss is read once and injection retried (a pod may name several CAs and service accounts);
    // a miss that is still one after its read is the answer.
    const read = new Set<string>();
    for (;;) {
      try {
        r = inject();
        break;
      } catch (e) {
        const ca = e instanceof CaNotFound && env.fetchCa ? e.ref : undefined;
        const sa = e instanceof ServiceAccountNotLoaded && env.fetchServiceAccount ? e : undefined;
        const what = ca ? `ca/${ca.kind}/${ca.namespace}/${ca.name}/${ca.key}` : sa ? `sa/${sa.namespace}/${sa.account}` : undefined;
        if (what === undefined || read.has(what)) throw e;
        read.add(what);
        if (ca) await env.fetchCa!(ca);
        else await env.fetchServiceAccount!(sa!.namespace, sa!.account);
      }
    }
    const warnings = r.warnings.map((w) => (w.length > MAX_WARNING ? w.slice(0, MAX_WARNING - 1) + '…' : w));
    const computed: MemoizedAnswer =
      r.patch.length === 0
        ? { result: 'unchanged', ops: [], warnings }
        : { result: 'injected', patch: Buffer.from(JSON.stringify(r.patch)).toString('base64'), ops: r.patch, warnings };
    if (key !== undefined) env.memo!.set(key, computed);
    return answer(req.uid, computed, dryRun);
  } catch (e) {
    if (e instanceof InjectionDenied) {
      const code = e.reason === 'invalid-annotation' || e.reason === 'unknown-annotation' ? 400 : 403;
      return {
        review: respond(req.uid, { allowed: false, status: { code, message: e.message, reason: code === 400 ? 'BadRequest' : 'Forbidden' } }),
        result: 'denied',
        dryRun,
        denialReason: e.reason,
        patch: [],
      };
    }
    const message = `esi could not inject this pod: ${describeError(e)}`;
    return { review: respond(req.uid, { allowed: false, status: { code: 500, message, reason: 'InternalError' } }), result: 'error', dryRun, patch: [], error: message };
  }
}
