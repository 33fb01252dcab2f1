/**
 * esi's Go template engine: Go text/template semantics with sprig and ESO's functions, byte-exact with
 * ESO v2.9.0 templates (proved against Go by template.diff.test.ts). Pure: no I/O, clock or env; the
 * functions that need time or randomness take them from the caller.
 */
export { renderTemplate, executeTemplate, toGoData, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_STEPS } from './engine.ts';
export type { ExecuteOptions } from './engine.ts';
export { createTemplateEngine, executeTemplateMap, compileTransform } from './eso-engine.ts';
export type { EngineOptions } from './eso-engine.ts';
export {
  TemplateError,
  TemplateParseError,
  TemplateExecError,
  TemplateLimitError,
  ApplyTemplateError,
} from './errors.ts';
export { unmarshalStringMap } from './yaml.ts';

import { createTemplateEngine as create } from './eso-engine.ts';
/**
 * The engine with default bounds (1 MiB output, 1e6 steps) and no clock or random source: functions
 * that need one (randAlphaNum, uuidv4, …) fail with a clear message. Edges that want them call
 * createTemplateEngine({ randomBytes }) instead.
 */
export const templateEngine = create();
