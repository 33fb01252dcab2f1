import { exists, forEach, getRaw, resultString, type GjsonType, type RawResult } from './get.ts';

/** Go string bytes ↔ byte strings (one JS char per byte) used inside the gjson walker. */
export function toByteString(input: string | Uint8Array): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString('latin1');
}

export function byteStringToBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

function text(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/**
 * gjson's `Result`. Text accessors decode gjson's bytes as UTF-8; the `...Bytes` accessors give the exact
 * bytes Go would hold (they differ only when gjson produced invalid UTF-8, e.g. from malformed escapes).
 */
export class GjsonResult {
  readonly #r: RawResult;
  constructor(r: RawResult) {
    this.#r = r;
  }
  /** gjson `Exists()`: false for a missing value; a JSON `null` exists. */
  get exists(): boolean {
    return exists(this.#r);
  }
  get type(): GjsonType {
    return this.#r.type;
  }
  /** The raw JSON text of the value exactly as it appears in the input (`#` counts get their digits). */
  get raw(): string {
    return text(this.#r.raw);
  }
  get rawBytes(): Uint8Array {
    return byteStringToBytes(this.#r.raw);
  }
  /** gjson `Str`: the unescaped string for String results, else "". */
  get str(): string {
    return text(this.#r.str);
  }
  /** gjson `Num`: ParseFloat of the raw number (0 when it does not parse). */
  get num(): number {
    return this.#r.num;
  }
  /** gjson `String()`: strings unescaped, integers as raw text, other numbers as FormatFloat('f',-1), null "". */
  string(): string {
    return text(resultString(this.#r));
  }
  stringBytes(): Uint8Array {
    return byteStringToBytes(resultString(this.#r));
  }
  /**
   * gjson `Result.ForEach`: (key, value) per object member, (index key, value) per array element, or one
   * call with an empty key for a scalar; stop by returning false.
   */
  forEach(iterator: (key: GjsonResult, value: GjsonResult) => boolean): void {
    forEach(this.#r, (k, v) => iterator(new GjsonResult(k), new GjsonResult(v)));
  }
  /** gjson `Result.Get(path)`: a path applied to this value's raw text. */
  get(path: string): GjsonResult {
    return new GjsonResult(getRaw(this.#r.raw, toByteString(path)));
  }
}

/** gjson `Get(json, path)`. Throws GjsonTooDeepError only for matches thousands of levels deep. */
export function get(json: string | Uint8Array, path: string): GjsonResult {
  return new GjsonResult(getRaw(toByteString(json), toByteString(path)));
}
