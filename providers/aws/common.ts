/**
 * What ESO's AWS services share (ESO providers/v1/aws/util): error sanitising and the Go SDK's error text,
 * tags as JSON, and GetSecretMap's decoding of a JSON object value.
 */
import { EsiError } from '../../core/index.ts';
import { awsExtractMap, GoJsonError, marshal, type RemoteRef, type SecretDataMap } from '../../eso/index.ts';

export interface AwsTag {
  Key?: string;
  Value?: string;
}

export interface SdkErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** ESO's SanitizeErr: drops `request id: <id>` and everything from ` Credential=`. */
export function sanitizeAwsMessage(message: string): string {
  return message.replace(/request id: \S+/g, '').replace(/ Credential=.+/g, '');
}

export function awsErrorCode(err: unknown): string {
  const e = err as SdkErrorLike;
  return (e && typeof e === 'object' && e.name) || 'Error';
}

/**
 * The error surfaced for a failed API call (not NoSecretErr), in the Go SDK v2's words as ESO prints them
 * (`operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: …,
 * api error AccessDeniedException: …`), sanitised like ESO's SanitizeErr. AWS messages name ids, never values.
 */
export function awsApiError(err: unknown, op: string, service = 'Secrets Manager'): EsiError {
  if (err instanceof EsiError) return err;
  const e = err as SdkErrorLike;
  const msg = e && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(err);
  const status = e && typeof e === 'object' ? e.$metadata?.httpStatusCode : undefined;
  const text =
    status !== undefined
      ? `operation error ${service}: ${op}, https response error StatusCode: ${status}, RequestID: ${e.$metadata?.requestId ?? ''}, api error ${awsErrorCode(err)}: ${msg}`
      : `operation error ${service}: ${op}, ${msg}`;
  return new EsiError('aws-api', sanitizeAwsMessage(text));
}

/** Tags as ESO serialises them (awsutil SecretTagsToJSONString / ParameterTagsToJSONString): a JSON object, keys sorted, HTML-escaped. */
export function awsTagsJson(tags: AwsTag[] | undefined): string {
  const m = new Map<string, string>();
  for (const t of tags ?? []) m.set(t.Key ?? '', t.Value ?? '');
  return marshal(m);
}

/** GetSecretMap decoding: strings unquoted, other values as raw JSON text, null → "". */
export function awsSecretMap(ref: RemoteRef, bytes: Uint8Array): SecretDataMap {
  try {
    return awsExtractMap(bytes);
  } catch (e) {
    if (e instanceof GoJsonError) throw new EsiError('unmarshal', `unable to unmarshal secret ${ref.key}: ${e.message}`);
    throw e;
  }
}

/** How an AWS client reports each API call (metrics, debug log) and reads its clock, shared by the services. */
export interface AwsCallReporting {
  onCall?: (op: string, outcome: 'ok' | 'error', seconds: number) => void;
  /** Monotonic clock in seconds for `onCall` durations (injected: the core reads no clock). */
  now?: () => number;
}

/** Runs one API call and reports its operation, outcome and duration. */
export async function reportedCall<T>(opts: AwsCallReporting, op: string, f: () => Promise<T>): Promise<T> {
  const now = opts.now ?? (() => 0);
  const t0 = now();
  try {
    const r = await f();
    opts.onCall?.(op, 'ok', now() - t0);
    return r;
  } catch (e) {
    opts.onCall?.(op, 'error', now() - t0);
    throw e;
  }
}
