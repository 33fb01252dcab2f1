/** Values never reach JSON error texts (issue 18 defect 6): esi gives Go's message, which quotes one character. */
import { describe, expect, it } from 'vitest';
import { renderTemplate } from './index.ts';

const CANARY = 'CANARY-s3cr3t-value';
const data = { v: new TextEncoder().encode(CANARY), short: new TextEncoder().encode('hunter2') };

function errorOf(template: string): string {
  try {
    renderTemplate(template, data);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('defect 6: JSON errors carry no value', () => {
  it.each([
    ['{{ mustFromJson (.v | toString) }}', "error calling mustFromJson: invalid character 'C' looking for beginning of value"],
    ['{{ mustFromJson (.short | toString) }}', "error calling mustFromJson: invalid character 'h' looking for beginning of value"],
    ['{{ mustFromJson (printf "{\\"a\\": %s}" (.short | toString)) }}', "error calling mustFromJson: invalid character 'h' looking for beginning of value"],
    ['{{ jwkPublicKeyPem (.v | toString) }}', "failed to unmarshal JWK: invalid character 'C' looking for beginning of value"],
  ])('%s', (template, message) => {
    const m = errorOf(template);
    expect(m).toContain(message);
    expect(m).not.toContain(CANARY);
    expect(m).not.toContain('hunter2');
    expect(m).not.toMatch(/CANARY|s3cr3t|unter/);
  });
});
