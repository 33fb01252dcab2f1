/**
 * Patterns that backtrack exponentially (or in high polynomial time) on a backtracking engine, each
 * with subjects of 30k–100k characters built to make them fail late. Go's engine runs them in linear
 * time; so must esi's. Shared by the differential tests against Go (eso/goregexp.test.ts,
 * eso/template/regexp.test.ts) and bench/regexp.mjs.
 */
export interface PathologicalCase {
  pattern: string;
  /** Subjects: a short one (the reported case) and long ones. */
  subjects: string[];
}

const rep = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);

export const PATHOLOGICAL: PathologicalCase[] = [
  // issue 18: a ClusterSecretStore namespaceRegex that hung admission, and the rewrite that took 1 min 46 s
  { pattern: '^prod-([a-z]+-?)+$', subjects: [`prod-${'a'.repeat(31)}1`, `prod-${rep('a', 30_000)}1`, `prod-${rep('ab-', 100_000)}`] },
  { pattern: '(a+)+$', subjects: [`${'a'.repeat(33)}!`, `${rep('a', 100_000)}!`, rep('a', 100_000)] },
  // nested quantifiers
  { pattern: '(a*)*b', subjects: [rep('a', 30_000), `${rep('a', 100_000)}b`] },
  { pattern: '(x+x+)+y', subjects: [rep('x', 100_000), `${rep('x', 30_000)}y`] },
  { pattern: '^(\\w+\\s?)+$', subjects: [`${rep('word ', 100_000)}!`] },
  { pattern: '^(([a-z])+.)+[A-Z]([a-z])+$', subjects: [`${rep('a', 30_000)}!`] },
  { pattern: '(?i)(k+K*)+$', subjects: [`${rep('kK\u212a', 30_000)}!`] },
  { pattern: '(\\d+)*x', subjects: [rep('1234567890', 100_000)] },
  // alternation blowups
  { pattern: '(a|aa)*b', subjects: [rep('a', 100_000), `${rep('a', 30_000)}b`] },
  { pattern: '(a|a)*b', subjects: [rep('a', 30_000)] },
  { pattern: '(a|b|ab|ba|aa|bb)*c', subjects: [rep('ab', 100_000), `${rep('ab', 30_000)}c`] },
  { pattern: '(.*a){12}', subjects: [rep('a', 30_000), rep('ab', 30_000)] },
  { pattern: '^(a|a?)+$', subjects: [`${rep('a', 30_000)}b`] },
  // many matches: every FindAll/ReplaceAll/Split step is a search
  { pattern: '(é|e)+?', subjects: [rep('é e', 30_000)] },
];
