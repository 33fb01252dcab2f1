/**
 * What the Kubernetes API server checks when ESO creates or updates the Secret (ESO v2.9.0 runtime/esutils/utils.go ConvertKeys note:
 * non-ASCII keys pass ESO but the API server refuses them). Same texts as the API server's StatusError:
 * `Secret "name" is invalid: data[é]: Invalid value: "é": a valid config key must consist of …`.
 * Values are never quoted back (Kubernetes itself redacts them for dockerconfigjson).
 */
import type { Secret } from '../core/index.ts';
import { compareBytes } from './hash.ts';
import { goQuote } from '../core/go/strconv.ts';
import { unmarshalAny } from './gojson/index.ts';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_SECRET_BYTES = 1024 * 1024;
// k8s.io/apimachinery/pkg/util/validation IsValidLabelValue: at most 63 bytes, empty or a qualified name.
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MAX = 63;

/** IsValidLabelValue's messages, in its order (length first). */
function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(value) > LABEL_VALUE_MAX) errs.push(`must be no more than ${LABEL_VALUE_MAX} bytes`);
  if (!LABEL_VALUE.test(value)) {
    errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  }
  return errs;
}

function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(key) > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) {
    errs.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** The API server's field errors for this Secret (empty when it would be accepted). */
export function secretApiErrors(secret: Secret, data: Record<string, Uint8Array>): string[] {
  const errs: string[] = [];
  const name = secret.metadata.name ?? '';
  if (name.length > 253) errs.push(`metadata.name: Invalid value: ${goQuote(name)}: must be no more than 253 characters`);
  if (!DNS1123_SUBDOMAIN.test(name)) {
    errs.push(
      `metadata.name: Invalid value: ${goQuote(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  }
  // ValidateObjectMeta checks label values before ValidateSecret checks data; the field is the map itself
  // (`metadata.labels`). The API server walks a Go map; esi reports bad values in key order.
  const labels = secret.metadata.labels ?? {};
  for (const key of Object.keys(labels).sort(compareBytes)) {
    for (const msg of labelValueErrors(labels[key]!)) errs.push(`metadata.labels: Invalid value: ${goQuote(labels[key]!)}: ${msg}`);
  }
  let total = 0;
  for (const key of Object.keys(data).sort(compareBytes)) {
    for (const msg of configKeyErrors(key)) errs.push(`data[${key}]: Invalid value: ${goQuote(key)}: ${msg}`);
    total += data[key]!.length;
  }
  if (total > MAX_SECRET_BYTES) errs.push(`data: Too long: must have at most ${MAX_SECRET_BYTES} bytes`);
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  switch (secret.type ?? 'Opaque') {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push('metadata.annotations[kubernetes.io/service-account.name]: Required value');
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push('data[.dockercfg]: Required value');
      else if (jsonError(data['.dockercfg']!)) errs.push(`data[.dockercfg]: Invalid value: "<secret contents redacted>": ${jsonError(data['.dockercfg']!)}`);
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push('data[.dockerconfigjson]: Required value');
      else if (jsonError(data['.dockerconfigjson']!)) errs.push(`data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": ${jsonError(data['.dockerconfigjson']!)}`);
      break;
    case 'kubernetes.io/basic-auth':
      if ((data['username']?.length ?? 0) === 0 && (data['password']?.length ?? 0) === 0) {
        errs.push('data[username]: Required value', 'data[password]: Required value');
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if ((data['ssh-privatekey']?.length ?? 0) === 0) errs.push('data[ssh-privatekey]: Required value');
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push('data[tls.crt]: Required value');
      if (!has('tls.key')) errs.push('data[tls.key]: Required value');
      break;
  }
  return errs;
}

function jsonError(b: Uint8Array): string | undefined {
  try {
    unmarshalAny(b);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** `Secret "name" is invalid: …` as a StatusError prints an aggregate of field errors. */
export function secretInvalidMessage(name: string, errs: string[]): string {
  return `Secret ${goQuote(name)} is invalid: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`;
}
