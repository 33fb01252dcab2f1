/**
 * Every failure esi reports is an EsiError: a stable `code` for machines, a message for people.
 * Messages carry context (pod, annotation, ExternalSecret field, backend key) and never a secret value.
 */
export class EsiError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EsiError';
    this.code = code;
  }
}

/** Input that does not parse or validate: a manifest, an annotation, a CRD field. */
export class ValidationError extends EsiError {
  constructor(message: string, readonly path?: string) {
    super('invalid', message);
    this.name = 'ValidationError';
  }
}

/** ESO's NoSecretErr: the provider says the remote secret does not exist. Message is ESO's own. */
export class NoSecretError extends EsiError {
  constructor(message = 'Secret does not exist') {
    super('no-secret', message);
    this.name = 'NoSecretError';
  }
}

/** A capability a later version delivers; the CLI maps it to exit code 2. */
export class NotAvailableError extends EsiError {
  constructor(what: string) {
    super('not-available', `${what}: not available in this version`);
    this.name = 'NotAvailableError';
  }
}

export function isEsiError(e: unknown): e is EsiError {
  return e instanceof EsiError;
}

/** A message safe to print for any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
