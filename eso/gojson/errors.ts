import { EsiError } from '../../core/index.ts';

/**
 * An error Go's `encoding/json` would return, with Go's exact message (for example
 * `invalid character 'x' looking for beginning of value` or
 * `json: cannot unmarshal array into Go value of type map[string]interface {}`), so that callers can wrap it
 * the way ESO does (`unable to unmarshal secret %s: %w`). The message never contains secret bytes beyond
 * what Go itself prints: a single offending character or a number literal.
 */
export class GoJsonError extends EsiError {
  constructor(message: string) {
    super('go-json', message);
    this.name = 'GoJsonError';
  }
}
