/**
 * The seam between ESO's writing semantics (here) and the Go template engine (eso/template). ESO's
 * ApplyTemplate calls the engine's `Execute(tpl, data, scope, target, secret, valuesDecodingStrategy)`
 * for templateFrom items, template.data, labels and annotations, and RewriteTransform parses one
 * template and executes it per key. The engine implements exactly that, with ESO's error texts.
 */
import { NotAvailableError } from '../core/index.ts';
import type { SecretDataMap } from './provider.ts';

/** The Secret being mutated, as the template engine sees it (target Data / Labels / Annotations). */
export interface WorkingSecret {
  type: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: SecretDataMap;
}

export type TemplateScope = 'Values' | 'KeysAndValues' | string;

export interface TemplateEngine {
  /**
   * ESO's `v2.Execute`: renders each entry of `tpl` (key → template text) over `data` (the provider data;
   * the root is map[string]string) in `scope` and applies the result to `target` (`Data`, `Labels`,
   * `Annotations`, case-insensitive) of `secret`, decoding each rendered value with
   * `valuesDecodingStrategy`. Throws with ESO's text (`unable to execute template at key …`).
   */
  execute(
    tpl: Record<string, Uint8Array>,
    data: SecretDataMap,
    scope: TemplateScope,
    target: string,
    secret: WorkingSecret,
    valuesDecodingStrategy: string,
  ): void;
  /**
   * rewrite.transform: parses `template` (name `transform`, ESO's function map, **without**
   * missingkey=error) — throwing Go's parse error — and returns a function rendering it for one key
   * with data `{"value": key}` (throwing Go's execution error).
   */
  compileTransform(template: string): (key: string) => string;
}

export function requireTemplateEngine(engine: TemplateEngine | undefined, what: string): TemplateEngine {
  if (!engine) throw new NotAvailableError(`${what} (Go templates are not available in this build)`);
  return engine;
}
