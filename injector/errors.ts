/**
 * Why an admission is denied. Every denial names the annotation (or object) at fault, the value it saw
 * and what to do instead; `reason` is a short stable label for metrics (`esi_admission_denials_total`).
 */
import { shownValue } from '../contract/index.ts';
import { ValidationError } from '../core/index.ts';

export type DenialReason =
  | 'invalid-annotation'
  | 'unknown-annotation'
  | 'external-secret-not-found'
  | 'store-not-found'
  | 'store-condition-denied'
  | 'store-unmanaged'
  | 'cross-namespace'
  | 'invalid-object'
  | 'collision'
  | 'ca-not-found'
  | 'too-large'
  | 'regexp-budget'
  | 'unsupported';

export class InjectionDenied extends ValidationError {
  constructor(
    readonly reason: DenialReason,
    message: string,
    /** The annotation the user should look at, when there is one. */
    readonly annotation?: string,
  ) {
    super(message, annotation);
    this.name = 'InjectionDenied';
  }
}

/** `esi.dev/mode: "sidekick" is not valid: use init, sidecar or both` — annotation, bad value, fix. */
export function badAnnotation(annotation: string, value: string, fix: string): InjectionDenied {
  return new InjectionDenied('invalid-annotation', `${annotation}: ${shownValue(value)} is not valid: ${fix}`, annotation);
}
