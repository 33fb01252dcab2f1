import { describe, expect, it } from 'vitest';
import { AGENT_NODE_OPTIONS } from '../../contract/index.ts';
// @ts-expect-error: a plain .mjs benchmark module without types
import { AGENT_NODE_OPTIONS as BENCH_AGENT_NODE_OPTIONS } from '../../bench/peers/agents.mjs';

describe('bench/peers runs the agent as the injector does', () => {
  it('with the NODE_OPTIONS the injector puts on agent containers', () => {
    expect(BENCH_AGENT_NODE_OPTIONS).toBe(AGENT_NODE_OPTIONS);
  });
});
