// Where ESO v0.16.2 (the oracle) and ESO v2.9.0 (what esi follows) behave differently, each with the ESO
// source of both versions that explains it. The differential accepts a difference only when one of these
// names its case; anything else is a bug on one side.
import type { Outcome } from './eso-oracle-driver.ts';
import type { OracleCase } from './eso-oracle-grammar.ts';

export interface VersionDifference {
  name: string;
  /** ESO source at v0.16.2 and at v2.9.0 (paths and lines of github.com/external-secrets/external-secrets). */
  v0_16_2: string;
  v2_9_0: string;
  /** Whether this case, in this round, is one the difference explains, given both outcomes. */
  applies(c: OracleCase, round: number, eso: Outcome, esi: Outcome): boolean;
}

export const VERSION_DIFFERENCES: VersionDifference[] = [];
