import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * Secret material in memory. It refuses to serialize: JSON.stringify, String(), template literals,
 * util.inspect and the JSON logs all see "[REDACTED]". Only `reveal()` returns the bytes, and only writers call it.
 */
export class Sensitive {
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  static fromString(s: string): Sensitive {
    return new Sensitive(Buffer.from(s, 'utf8'));
  }
  reveal(): Uint8Array {
    return this.#bytes;
  }
  get length(): number {
    return this.#bytes.length;
  }
  equals(other: Sensitive): boolean {
    return Buffer.compare(Buffer.from(this.#bytes), Buffer.from(other.#bytes)) === 0;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
