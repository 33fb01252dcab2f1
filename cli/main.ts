/**
 * The `esi` command: one binary, one dispatcher. Each command lives in `cli/commands/` and is loaded
 * lazily, so `esi agent` never pays for the webhook's dependencies and vice versa.
 */
import { EsiError, NotAvailableError, describeError } from '../core/index.ts';
import { UsageError, type CliIO, type Command } from './io.ts';
import { VERSION } from './version.ts';

interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

const COMMANDS: Record<string, CommandEntry> = {
  webhook: {
    summary: 'serve the mutating admission webhook (POST /mutate, /healthz, /readyz, /metrics)',
    load: async () => (await import('./commands/webhook.ts')).webhookCommand,
  },
  agent: {
    summary: "run the in-pod agent, or a pod's agent on a workstation (--pod)",
    load: async () => (await import('./commands/agent.ts')).agentCommand,
  },
  inject: {
    summary: 'mutate Pod templates in manifests offline, exactly as the webhook would',
    load: async () => (await import('./commands/inject.ts')).injectCommand,
  },
  render: {
    summary: 'fetch and render one ExternalSecret as ESO would sync it; print the Secret',
    load: async () => (await import('./commands/render.ts')).renderCommand,
  },
  demo: {
    summary: 'run webhook injection + agent locally against a fake store and rotate a secret in place',
    load: async () => (await import('./commands/demo.ts')).demoCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    `esi ${VERSION} — ExternalSecrets materialized inside the pod, refreshed in place`,
    '',
    'Usage: esi <command> [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `esi <command> --help` for the flags of a command.',
    '',
  ].join('\n');
}

/** Runs one invocation and returns its exit code. Never throws. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(`esi ${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`esi: unknown command ${JSON.stringify(name)} (run esi --help)\n`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command(rest, io);
  } catch (e) {
    const message = describeError(e).split('\n')[0];
    io.stderr(`esi ${name}: ${message.startsWith(`esi ${name}: `) ? message.slice(`esi ${name}: `.length) : message}\n`);
    if (e instanceof UsageError || e instanceof NotAvailableError) return 2;
    if (e instanceof EsiError) return 1;
    return 1;
  }
}
