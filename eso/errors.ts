/**
 * Errors of one ExternalSecret sync. The message is ESO's own text (wrapped exactly as ESO wraps it);
 * `field` names the ExternalSecret field at fault (`spec.data[0].remoteRef`), for the CLI's one line.
 */
import { EsiError, NoSecretError } from '../core/index.ts';

export class EsoError extends EsiError {
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EsoError';
    this.field = field;
  }
}

/** Go's fmt.Errorf("prefix%w", err): same cause chain, ESO's text. Keeps the inner field unless given. */
export function wrapError(prefix: string, cause: unknown, field?: string): EsoError {
  const inner = cause instanceof Error ? cause.message : String(cause);
  const code = cause instanceof EsiError ? cause.code : 'provider';
  const innerField = cause instanceof EsoError ? cause.field : undefined;
  return new EsoError(code, `${prefix}${inner}`, innerField ?? field, { cause });
}

/** errors.Is(err, esv1.NoSecretErr): walks the cause chain. */
export function isNoSecretError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 50; depth++) {
    if (cur instanceof NoSecretError) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** The field at fault for any error, if one was recorded on the chain. */
export function errorField(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 50; depth++) {
    if (cur instanceof EsoError && cur.field) return cur.field;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
