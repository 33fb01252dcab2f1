/** Process entry of the `esi` binary: wires real streams, env and signals into `main`. */
import { setFlagsFromString } from 'node:v8';
import { main } from './main.ts';

// The in-pod agent idles between refreshes and its rounds are short: V8's optimizing compilers (TurboFan,
// Maglev) would page in ~4 MiB of compiler code in every pod for work that never gets hot (idle RSS,
// bench/peers). The interpreter and the baseline compiler stay; the webhook keeps the optimizers.
if (process.argv[2] === 'agent') setFlagsFromString('--no-opt --no-maglev');

// The AWS SDK warns on Node 20 that future releases need Node 22; esi pins its SDK version, and a
// multi-line warning would break the one-line-reason contract of every command's stderr.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => controller.abort(new Error(`received ${sig}`)));
}

const code = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
