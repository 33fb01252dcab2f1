/**
 * ESO's template v2 `Execute` (runtime/template/v2/template.go) over the engine: the scopes, the
 * targets, the values decoding and ESO's exact error chain. This is what eso/secret.ts's ApplyTemplate
 * calls through the TemplateEngine seam (eso/templating.ts), and what rewrite.transform compiles.
 */
import { describeError } from '../../core/index.ts';
import { decode } from '../decoding.ts';
import type { DecodingStrategy } from '../types.ts';
import type { TemplateEngine, TemplateScope, WorkingSecret } from '../templating.ts';
import { fromBytes, toBytes, toText } from '../../core/go/utf8.ts';
import { renderTemplate, type ExecuteOptions } from './engine.ts';
import { ApplyTemplateError } from './errors.ts';
import { unmarshalStringMap, YamlError } from './yaml.ts';

export type EngineOptions = Omit<ExecuteOptions, 'name' | 'missingKey'>;

function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** ESO's execute(k, v, data): parse as `k` with missingkey=error, run over map[string]string data. */
function executeOne(name: string, text: Uint8Array, data: Record<string, Uint8Array>, opts: EngineOptions): Uint8Array {
  try {
    return renderTemplate(text, data, { ...opts, name, missingKey: 'error' });
  } catch (e) {
    const kind = (e as { code?: string }).code === 'template-parse' ? 'parse' : 'execute';
    throw new ApplyTemplateError(`unable to ${kind} template at key ${name}: ${describeError(e)}`);
  }
}

function applyToTarget(k: string, val: Uint8Array, target: string, secret: WorkingSecret): void {
  switch (target.toLowerCase()) {
    case 'annotations':
      secret.annotations[k] = toText(fromBytes(val));
      return;
    case 'labels':
      secret.labels[k] = toText(fromBytes(val));
      return;
    case 'data':
      secret.data[k] = val;
      return;
    default:
      // ESO applies other targets to generic (non-Secret) objects; Secret targets reject them earlier (§6.7).
      throw new ApplyTemplateError(`failed to apply to target: target ${JSON.stringify(target)} is not supported for a Secret`);
  }
}

function decodeValue(k: string, val: Uint8Array, strategy: string): Uint8Array {
  try {
    return decode(strategy as DecodingStrategy, val);
  } catch (e) {
    throw new ApplyTemplateError(`failed to decode rendered template value for key ${k}: ${describeError(e)}`);
  }
}

/** ESO's v2 Execute: see TemplateEngine.execute. Keys are rendered in sorted order (Go: map order). */
export function executeTemplateMap(
  tpl: Record<string, Uint8Array>,
  data: Record<string, Uint8Array>,
  scope: TemplateScope,
  target: string,
  secret: WorkingSecret,
  valuesDecodingStrategy: string,
  opts: EngineOptions = {},
): void {
  switch (scope) {
    case 'KeysAndValues':
      for (const key of sortedKeys(tpl)) {
        const source = tpl[key]!;
        const name = toText(fromBytes(source));
        const val = wrapKey(name, () => executeOne(name, source, data, opts));
        const lower = target.toLowerCase();
        if (lower !== 'annotations' && lower !== 'labels' && lower !== 'data') {
          throw new ApplyTemplateError(`failed to apply to target: target ${JSON.stringify(target)} is not supported for a Secret`);
        }
        let parsed: Map<string, string>;
        try {
          parsed = unmarshalStringMap(fromBytes(val));
        } catch (e) {
          if (!(e instanceof YamlError)) throw e;
          throw new ApplyTemplateError(`could not unmarshal template to 'map[string][]byte': ${e.message}`);
        }
        for (const [k, v] of parsed) {
          const kt = toText(k);
          applyToTarget(kt, decodeValue(kt, toBytes(v), valuesDecodingStrategy), target, secret);
        }
      }
      return;
    case 'Values':
      for (const k of sortedKeys(tpl)) {
        const val = wrapKey(k, () => executeOne(k, tpl[k]!, data, opts));
        applyToTarget(k, decodeValue(k, val, valuesDecodingStrategy), target, secret);
      }
      return;
    default:
      throw new ApplyTemplateError(`unknown scope '${scope}': expected 'Values' or 'KeysAndValues'`);
  }
}

function wrapKey(k: string, f: () => Uint8Array): Uint8Array {
  try {
    return f();
  } catch (e) {
    throw new ApplyTemplateError(`unable to execute template at key ${k}: ${describeError(e)}`);
  }
}

/**
 * rewrite.transform: ESO parses the template as `transform` with its function map but WITHOUT
 * missingkey=error, and executes it per key with data {"value": key}.
 */
export function compileTransform(template: string, opts: EngineOptions = {}): (key: string) => string {
  // Parse once now so a bad template fails before any key is touched (as ESO's Parse does).
  renderTemplate(template, { value: '' }, { ...opts, name: 'transform', missingKey: 'default', maxSteps: 0 }, true);
  return (key: string) =>
    toText(fromBytes(renderTemplate(template, { value: key }, { ...opts, name: 'transform', missingKey: 'default' })));
}

/** The TemplateEngine the ESO library (eso/secret.ts, eso/rewrite.ts) plugs in. */
export function createTemplateEngine(opts: EngineOptions = {}): TemplateEngine {
  return {
    execute: (tpl, data, scope, target, secret, vds) => executeTemplateMap(tpl, data, scope, target, secret, vds, opts),
    compileTransform: (template) => compileTransform(template, opts),
  };
}
