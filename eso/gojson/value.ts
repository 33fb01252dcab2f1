/**
 * The Go values ESO serialises, as decoded from JSON into `interface{}`: nil (`null`), bool, string,
 * float64 (`number`), `json.Number` (`GoNumber`, when decoded with UseNumber, as the Vault client does),
 * `[]interface{}` (array) and `map[string]interface{}` (`Map`, so that any key, `__proto__` included, is safe).
 */
export type GoValue = null | boolean | string | number | GoNumber | GoValue[] | Map<string, GoValue>;

/** Go's `json.Number`: a number kept as its exact source text (`1.50` stays `1.50`). */
export class GoNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}
