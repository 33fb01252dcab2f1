/**
 * A lean process entry for the in-pod agent alone (`node esi-agent.mjs --config F ...`, the same flags as
 * `esi agent`): bundled on its own it leaves out the webhook, injector and CLI code the agent never runs,
 * so the sidecar starts faster and parses less. Errors print one line, as every esi command does.
 */
import { describeError, EsiError } from '../core/index.ts';
import { agentCommand } from '../cli/commands/agent.ts';
import { UsageError } from '../cli/io.ts';

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort(new Error(`received ${sig}`)));

const args = process.argv.slice(2);
// Accept both `esi-agent --config F` and `esi-agent agent --config F`.
if (args[0] === 'agent') args.shift();
try {
  process.exitCode = await agentCommand(args, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    signal: controller.signal,
  });
} catch (e) {
  process.stderr.write(`esi agent: ${describeError(e)}\n`);
  process.exitCode = e instanceof UsageError ? 2 : e instanceof EsiError ? 1 : 1;
}
