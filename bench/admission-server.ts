// The esi side of bench/peers/webhooks.mjs (bundled by it with esbuild, run as a child process): the real
// webhook server and admission path over TLS on 127.0.0.1, with an in-memory ESO cache (the peer keeps its
// ServiceAccounts in an informer cache the same way). It hands its certificate to the parent, so every
// server in the comparison serves the same one.
import { lookupFrom } from '../injector/index.ts';
import { createWebhookMetrics, issueSelfSigned, jsonLogger, PatchMemo, startWebhookServer } from '../webhook/index.ts';

const NS = 'bench';
const objects = [
  { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'aws', namespace: NS }, spec: { provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } } } },
  ...['db', 'api', 'tls'].map((name) => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: NS },
    spec: { secretStoreRef: { name: 'aws' }, refreshInterval: '5m', data: [{ secretKey: 'password', remoteRef: { key: `prod/${name}`, property: 'password' } }, { secretKey: 'user', remoteRef: { key: `prod/${name}`, property: 'user' } }] },
  })),
];
const eso = lookupFrom(objects);
const tls = issueSelfSigned({ commonName: 'esi-bench', sans: ['127.0.0.1'], now: new Date(), validityDays: 1 });
const server = await startWebhookServer({
  host: '127.0.0.1',
  port: 0,
  tls: { cert: tls.cert, key: tls.key },
  // as webhook/run.ts builds it: the same pod twice is answered from the memo (webhook/patch-memo.ts)
  env: { ready: () => true, context: (namespace) => ({ eso, namespace }), memo: new PatchMemo() },
  metrics: createWebhookMetrics(),
  // a log line per admission, as `esi webhook` writes them (cli/commands/webhook.ts: to stderr, which the
  // parent points at a file, as it does the Go webhook's log)
  log: jsonLogger({ base: { component: 'esi-webhook' }, write: (line) => process.stderr.write(line) }),
});
process.send!({ port: server.port, ca: tls.caCert, cert: tls.cert, key: tls.key });
process.on('message', (m) => {
  if (m === 'stop') void server.close().then(() => process.exit(0));
});
