// Where ESO v0.16.2 (the oracle) and ESO v2.9.0 (what esi follows) behave differently, each with the ESO
// source of both versions that explains it (github.com/external-secrets/external-secrets at the tags
// v0.16.2 and v2.9.0). The differential accepts a difference only when an entry here names the case and
// the exact shape of the difference; anything else is a bug on one side.
import type { Outcome } from './eso-oracle-driver.ts';
import type { OracleCase } from './eso-oracle-grammar.ts';

export interface VersionDifference {
  name: string;
  /** ESO source at v0.16.2 and at v2.9.0 that explains it. */
  v0_16_2: string;
  v2_9_0: string;
  /**
   * Whether this case, in this round, is one the difference explains, given the target Secret as the
   * round found it and both outcomes.
   */
  applies(c: OracleCase, round: number, before: Outcome, eso: Outcome, esi: Outcome): boolean;
}

/** A difference that is esi's, not ESO's: accepted so CI stays green, counted and printed every run. */
export interface EsiGap {
  name: string;
  /** What ESO does and why esi does not (yet). */
  detail: string;
  applies(c: OracleCase, round: number, before: Outcome, eso: Outcome, esi: Outcome): boolean;
}

const target = (c: OracleCase) => (c.es.spec['target'] ?? {}) as { immutable?: boolean; template?: unknown };
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export const VERSION_DIFFERENCES: VersionDifference[] = [
  {
    name: 'target.immutable: an existing Secret (created before, or by an earlier sync) is written again',
    v0_16_2:
      'pkg/controllers/externalsecret/externalsecret_controller.go:420-440 (the mutation always re-applies the ' +
      'template, also to an existing Secret, so a template that fails fails that sync: "unable to mutate secret ' +
      '%s: …") and :684-718 (updateSecret: when the existing Secret is immutable ' +
      'and its data or type would change: "unable to update secret %s: secret is immutable"; metadata alone is ' +
      'updated)',
    v2_9_0:
      'pkg/controllers/externalsecret/externalsecret_controller.go:478-497 (objectDoesNotExistOrCanBeMutated: ' +
      'once the target exists and target.immutable is set, the template is not applied again: its data, type, ' +
      'labels and annotations stay as they are, only immutable, the managed label and data-hash are set)',
    applies(c, round, before, eso, esi) {
      if (!target(c).immutable || before.kind !== 'secret' || esi.kind !== 'secret') return false;
      // esi (v2.9.0) kept the data and type the Secret had before the round.
      if (!same(esi.data, before.data) || esi.type !== before.type || !esi.immutable) return false;
      // v0.16.2 wrote the new data: the apiserver refused it (immutable, or an invalid key), the template
      // it applied again failed, or it went in.
      if (eso.kind === 'error') return eso.messages.every((m) => /^unable to (update|mutate) secret [^ ]+: /.test(m));
      return eso.kind === 'secret' && (!same(eso.data, esi.data) || !same(eso.labels, esi.labels) || !same(eso.annotations, esi.annotations) || eso.type !== esi.type);
    },
  },
  {
    name: 'rewrite: the error chain of a failed regexp or transform operation',
    v0_16_2:
      'pkg/utils/utils.go:79-97 (RewriteMap: "failed rewriting regexp operation[%v]: %w" / "failed rewriting ' +
      'transform operation[%v]: %w") and :100-104 (RewriteRegexp returns regexp.Compile\'s error unwrapped), ' +
      ':131-150 (transform: "unable to parse transform template: %s" / "unable to execute transform template: %s")',
    v2_9_0:
      'runtime/esutils/utils.go:86-96 (RewriteMap: "failed rewrite operation[%v]: %w" for every kind) and ' +
      ':199-204 (RewriteRegexp: "regexp failed with failed to compile: %w"), :212-228 (RewriteTransform: ' +
      '"transform failed with failed to parse template: %w" / "... to execute template for key %q: %w")',
    applies(_c, _round, _before, eso, esi) {
      if (eso.kind !== 'error' || esi.kind !== 'error') return false;
      const line = esi.messages[0] ?? '';
      // The same rewrite failure, only the chain's wording differs: map v0.16.2's wording to v2.9.0's.
      return eso.messages.every((m) => {
        const v2 = m
          .replace(/failed rewriting regexp operation\[(\d+)\]: /, 'failed rewrite operation[$1]: regexp failed with failed to compile: ')
          .replace(/failed rewriting transform operation\[(\d+)\]: unable to parse transform template: /, 'failed rewrite operation[$1]: transform failed with failed to parse template: ');
        return v2 !== m && line.endsWith(v2);
      });
    },
  },
  {
    name: 'AWS API errors: aws-sdk-go (v1) text at v0.16.2, aws-sdk-go-v2 text at v2.9.0',
    v0_16_2:
      'go.mod:22 (github.com/aws/aws-sdk-go v1.55.6) and pkg/provider/aws/secretsmanager/secretsmanager.go:588-594 ' +
      '(fetchWithBatch returns the SDK error as it is: awserr "<Code>: <message>")',
    v2_9_0:
      'providers/v1/aws/go.mod (github.com/aws/aws-sdk-go-v2/service/secretsmanager) and ' +
      'providers/v1/aws/secretsmanager/secretsmanager.go:734-740 (the same return; smithy\'s "operation error ' +
      'Secrets Manager: <Operation>, https response error StatusCode: <n>, RequestID: <id>, api error <Code>: <message>")',
    applies(_c, _round, _before, eso, esi) {
      if (eso.kind !== 'error' || esi.kind !== 'error') return false;
      const line = esi.messages[0] ?? '';
      return eso.messages.every((m) => {
        const v1 = /^(.*?)([A-Z][A-Za-z]+Exception): ([^\n]*)(\n\tstatus code: \d+, request id: \S*)?$/.exec(m);
        if (!v1) return false;
        const [, prefix, code, message] = v1;
        const v2 = new RegExp(`${escape(prefix!)}operation error Secrets Manager: [A-Za-z]+, https response error StatusCode: \\d+, RequestID: \\S*, api error ${escape(code!)}: ${escape(message!)}$`);
        return v2.test(line);
      });
    },
  },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** None today: YAML syntax errors read as go-yaml's since eso/template/yaml-syntax.ts (they were the last). */
export const ESI_GAPS: EsiGap[] = [];

/**
 * Where the agent's sync-secret may differ from `esi render` for the same ExternalSecret: what the README
 * lists as not yet done in the agent. Counted and printed every run; anything else is a bug.
 */
export interface AgentGap {
  name: string;
  /** The README row that says so. */
  readme: string;
  applies(c: OracleCase, round: number, render: Outcome, agent: Outcome, files: Outcome | undefined): boolean;
}

export const AGENT_GAPS: AgentGap[] = [
  {
    name: 'the agent renders the pod\'s files first, as for a Secret ESO creates and owns; when that fails, its sync fails',
    readme:
      'agent/agent.ts #syncOne (files get what ESO would put in a Secret it creates and owns, whoever writes the Secret); ' +
      'so an ExternalSecret whose creationPolicy None or Merge makes ESO skip the template or fail on the existing ' +
      'Secret fails in the agent with the Owner rendering\'s error (an invalid key, a broken template)',
    applies(_c, _round, render, agent, files) {
      if (agent.kind !== 'error' || files?.kind !== 'error') return false;
      if (render.kind === 'error' && render.messages[0] === files.messages[0]) return false;
      const line = (files.messages[0] ?? '').replace(/RequestID: [^,\s]*/g, '');
      return agent.messages.every((m) => m !== '' && line.endsWith(m.replace(/\s*\n\s*/g, '; ').replace(/RequestID: [^,\s]*/g, '')));
    },
  },
];
