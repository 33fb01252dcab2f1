import { describe, expect, it } from 'vitest';
import { AGENT_NODE_OPTIONS, storeEnvName } from '../../contract/index.ts';
// @ts-expect-error: a plain .mjs benchmark module without types
import { AGENT_NODE_OPTIONS as BENCH_AGENT_NODE_OPTIONS } from '../../bench/peers/agents.mjs';
// @ts-expect-error: a plain .mjs benchmark module without types
import { storeEnvName as benchStoreEnvName } from '../../bench/lib.mjs';

describe('bench/peers runs the agent as the injector does', () => {
  it('with the NODE_OPTIONS the injector puts on agent containers', () => {
    expect(BENCH_AGENT_NODE_OPTIONS).toBe(AGENT_NODE_OPTIONS);
  });

  // The benches run plain .mjs against dist/ and keep their own copy of the rule; this keeps it the rule.
  it('with the credential env names the injector gives a store\'s secretKeyRef', () => {
    for (const [what, kind, name] of [['VAULT_TOKEN', 'SecretStore', 'bao'], ['AZURE_CLIENT_ID', 'SecretStore', 'kv'], ['AWS_ACCESS_KEY_ID', 'ClusterSecretStore', 'aws-shared.v2']]) {
      expect(benchStoreEnvName(what, kind, name)).toBe(storeEnvName(what!, kind!, name!));
    }
  });
});
