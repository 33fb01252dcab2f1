import { EsiError } from '../../core/index.ts';

/**
 * Errors of the template engine. Messages are Go's / ESO's own text so they match what ESO reports;
 * they name template keys and positions, never a secret value (template *data* is never quoted by the
 * engine itself, although a template's own text and its literal constants can be).
 */
export class TemplateError extends EsiError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'TemplateError';
  }
}

/** `template: NAME:LINE: ...` — the template text does not parse. */
export class TemplateParseError extends TemplateError {
  constructor(message: string) {
    super('template-parse', message);
    this.name = 'TemplateParseError';
  }
}

/** `template: NAME:LINE:COL: executing "NAME" at <...>: ...` — execution failed. */
export class TemplateExecError extends TemplateError {
  constructor(message: string) {
    super('template-exec', message);
    this.name = 'TemplateExecError';
  }
}

/** esi's own guard: the output or the number of execution steps went past the configured bound. */
export class TemplateLimitError extends TemplateError {
  constructor(message: string) {
    super('template-limit', message);
    this.name = 'TemplateLimitError';
  }
}

/** ApplyTemplate failures, with ESO's wrapping chain (`could not apply template: ...`). */
export class ApplyTemplateError extends TemplateError {
  constructor(message: string) {
    super('template-apply', message);
    this.name = 'ApplyTemplateError';
  }
}

/** §6.7 template validation (ESO's exact messages). */
export class TemplateValidationError extends TemplateError {
  constructor(message: string) {
    super('template-invalid', message);
    this.name = 'TemplateValidationError';
  }
}
