/**
 * `esi webhook`: serve the mutating admission webhook until SIGINT/SIGTERM.
 */
import { DEFAULT_AGENT_IMAGE, parseAgentEnvList, parseAgentPort, type InjectDefaults } from '../../injector/index.ts';
import { HEALTH } from '../../contract/index.ts';
import { EsiError } from '../../core/index.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTiming, DEFAULT_LEADER_TIMING, inClusterAccess, KubeClient, kubeconfigAccess, SERVICE_ACCOUNT_DIR, type LeaderElectionTiming } from '../../kube/index.ts';
import { parseGoDuration } from '../../eso/index.ts';
import { jsonLogger, runWebhook } from '../../webhook/index.ts';
import { parseFlags, UsageError, wantsHelp, type Command } from '../io.ts';

export const WEBHOOK_HELP = `Usage: esi webhook --tls-cert FILE --tls-key FILE [--port 8443] [--kubeconfig FILE] [options]
       esi webhook --self-managed --namespace NS --service NAME --webhook-config NAME [options]

Serves the esi mutating admission webhook over HTTPS:
  POST /mutate   AdmissionReview v1: injects the agent into pods labelled esi.dev/inject: "true"
  GET  /healthz  the process is up
  GET  /readyz   200 once the ExternalSecret, store and namespace caches have synced
  GET  /metrics  Prometheus metrics (esi_admission_requests_total, esi_admission_duration_seconds,
                 esi_admission_denials_total, esi_pod_config_updates_total)
It also updates the esi.dev/agent-config annotation of running pods when an ExternalSecret or store
they use changes: every replica serves admission, one at a time (the holder of the Lease esi-controller
in the webhook's namespace) updates pods. The certificate files are re-read when they change.

Options:
  --tls-cert FILE          serving certificate (PEM; its SAN must match the webhook's service name)
  --tls-key FILE           its private key (PEM)
  --self-managed           issue and rotate its own CA and serving certificate (kept in the Secret
                           <service>-tls, shared by replicas) and keep the caBundle of --webhook-config current
  --namespace NS           with --self-managed: the webhook's namespace
  --service NAME           with --self-managed: its Service (certificate for NAME.NS.svc)
  --webhook-config NAME    with --self-managed: the MutatingWebhookConfiguration to keep trusted
  --port N                 listen port (default 8443)
  --address HOST           listen address (default 127.0.0.1; in a cluster 0.0.0.0)
  --kubeconfig FILE        kubeconfig (default: $KUBECONFIG, then in-cluster service account)
  --agent-image IMAGE      image of the injected agent (default ${DEFAULT_AGENT_IMAGE})
  --native-sidecars MODE   auto (default: from the apiserver version, >= 1.29), true or false
  --controller-class NAME  spec.controller class of stores handed to esi for esi.dev/sync-secret (default esi)
  --controller BOOL        run the loop that updates running pods' agent config (default true)
  --agent-env NAME=VALUE   env for every injected agent, repeatable; only endpoint settings
                           (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_USE_FIPS_ENDPOINT, ...)
                           and ESI_LOG_LEVEL; pods add or override with esi.dev/agent-env
  --agent-port N           port of the agent's health server in pods (default ${HEALTH.port}; hostNetwork
                           pods get a per-workload port unless esi.dev/agent-port sets one)
  --leader-elect BOOL      only the holder of the Lease esi-controller runs that loop (default true)
  --leader-election-namespace NS
                           namespace of the Lease (default: --namespace, else the service account's)
  --kube-api-qps N         API writes (pod patches) per second of that loop (default 200)
  --kube-api-burst N       writes it may make at once after a quiet spell (default: the QPS)
  --leader-election-lease-duration D
                           how long a candidate waits for a silent leader before taking over (default 8s)
  --leader-election-renew-deadline D
                           how long the leader retries a failed renewal before it stops leading (default 5s)
  --leader-election-retry-period D
                           between renewals and candidates' attempts (default 1s)
  --namespace-selector K=V[,K=V]
                           that loop manages pods only in namespaces with these labels (default: all;
                           match the webhook configuration's namespaceSelector when several esi run)
  -h, --help               show this help
`;

/** The namespace of the pod's service account (in a cluster), else undefined. */
function serviceAccountNamespace(): string | undefined {
  try {
    return readFileSync(join(SERVICE_ACCOUNT_DIR, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export const webhookCommand: Command = async (argv, io) => {
  if (wantsHelp(argv)) {
    io.stdout(WEBHOOK_HELP);
    return 0;
  }
  const { values } = parseFlags(
    argv,
    {
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      port: { type: 'string', default: '8443' },
      address: { type: 'string', default: '127.0.0.1' },
      kubeconfig: { type: 'string' },
      'agent-image': { type: 'string' },
      'native-sidecars': { type: 'string', default: 'auto' },
      'controller-class': { type: 'string' },
      controller: { type: 'string', default: 'true' },
      'agent-env': { type: 'string', multiple: true },
      'agent-port': { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'leader-election-namespace': { type: 'string' },
      'kube-api-qps': { type: 'string', default: '200' },
      'kube-api-burst': { type: 'string' },
      'leader-election-lease-duration': { type: 'string' },
      'leader-election-renew-deadline': { type: 'string' },
      'leader-election-retry-period': { type: 'string' },
      'namespace-selector': { type: 'string' },
      'self-managed': { type: 'boolean' },
      namespace: { type: 'string' },
      service: { type: 'string' },
      'webhook-config': { type: 'string' },
    },
    'webhook',
  );
  const selfManaged = values['self-managed'] === true;
  if (selfManaged) {
    if (values['tls-cert'] || values['tls-key']) throw new UsageError('esi webhook: --self-managed and --tls-cert/--tls-key exclude each other');
    if (!values.namespace || !values.service || !values['webhook-config']) {
      throw new UsageError('esi webhook: --self-managed needs --namespace, --service and --webhook-config (see esi webhook --help)');
    }
  } else if (!values['tls-cert'] || !values['tls-key']) {
    throw new UsageError('esi webhook: --tls-cert FILE and --tls-key FILE are required (see esi webhook --help)');
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`esi webhook: --port ${JSON.stringify(values.port)}: expected a port number`);
  const ns = values['native-sidecars'];
  if (ns !== 'auto' && ns !== 'true' && ns !== 'false') throw new UsageError(`esi webhook: --native-sidecars ${JSON.stringify(ns)}: use auto, true or false`);
  if (values.controller !== 'true' && values.controller !== 'false') throw new UsageError(`esi webhook: --controller ${JSON.stringify(values.controller)}: use true or false`);
  const elect = values['leader-elect'];
  if (elect !== 'true' && elect !== 'false') throw new UsageError(`esi webhook: --leader-elect ${JSON.stringify(elect)}: use true or false`);
  const qps = Number(values['kube-api-qps']);
  if (!(qps > 0) || !Number.isFinite(qps)) throw new UsageError(`esi webhook: --kube-api-qps ${JSON.stringify(values['kube-api-qps'])}: expected a positive number`);
  const burst = values['kube-api-burst'] === undefined ? Math.max(1, Math.ceil(qps)) : Number(values['kube-api-burst']);
  if (!Number.isInteger(burst) || burst < 1) throw new UsageError(`esi webhook: --kube-api-burst ${JSON.stringify(values['kube-api-burst'])}: expected a whole number >= 1`);
  const timing: Partial<LeaderElectionTiming> = {};
  for (const [flag, field] of [['leader-election-lease-duration', 'leaseDurationMs'], ['leader-election-renew-deadline', 'renewDeadlineMs'], ['leader-election-retry-period', 'retryPeriodMs']] as const) {
    const raw = values[flag];
    if (raw === undefined) continue;
    let ms: number;
    try {
      ms = parseGoDuration(raw);
    } catch {
      throw new UsageError(`esi webhook: --${flag} ${JSON.stringify(raw)}: expected a duration such as 8s or 1500ms`);
    }
    timing[field] = ms;
  }
  try {
    checkTiming({ ...DEFAULT_LEADER_TIMING, ...timing });
  } catch (e) {
    throw new UsageError(`esi webhook: ${(e as Error).message} (--leader-election-lease-duration, --leader-election-renew-deadline, --leader-election-retry-period)`);
  }

  const defaults: Partial<InjectDefaults> = {};
  if (values['controller-class']) defaults.controllerClass = values['controller-class'];
  try {
    if (values['agent-env']) defaults.agentEnv = parseAgentEnvList(values['agent-env'], 'esi webhook: --agent-env');
    if (values['agent-port'] !== undefined) defaults.startupProbe = { port: parseAgentPort(values['agent-port']), path: HEALTH.startupPath };
  } catch (e) {
    throw new UsageError((e as Error).message.replace('esi.dev/agent-port: ', 'esi webhook: --agent-port '));
  }
  let namespaceSelector: Record<string, string> | undefined;
  if (values['namespace-selector'] !== undefined) {
    namespaceSelector = {};
    for (const pair of values['namespace-selector'].split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`esi webhook: --namespace-selector ${JSON.stringify(values['namespace-selector'])}: expected label=value pairs separated by commas`);
      namespaceSelector[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
  }

  const kubeconfig = values.kubeconfig ?? io.env['KUBECONFIG']?.split(':')[0];
  const access = kubeconfig ? await kubeconfigAccess(kubeconfig) : inClusterAccess(io.env);
  if (!access) throw new EsiError('kubeconfig', 'not in a cluster (KUBERNETES_SERVICE_HOST is unset) and no --kubeconfig given');
  const client = new KubeClient(access);
  let leaseNamespace: string | undefined;
  if (values.controller === 'true' && elect === 'true') {
    leaseNamespace = values['leader-election-namespace'] ?? values.namespace ?? serviceAccountNamespace();
    if (!leaseNamespace) {
      throw new UsageError('esi webhook: --leader-elect needs the namespace of its Lease: pass --leader-election-namespace NS (or --leader-elect false for a single replica)');
    }
  }

  const log = jsonLogger({ base: { component: 'esi-webhook' }, write: (line) => io.stderr(line) });
  const running = await runWebhook({
    client,
    host: values.address!,
    port,
    tls: selfManaged
      ? { selfManaged: { namespace: values.namespace!, service: values.service!, webhookConfiguration: values['webhook-config']! } }
      : { certFile: values['tls-cert']!, keyFile: values['tls-key']! },
    log,
    nativeSidecars: ns === 'auto' ? 'auto' : ns === 'true',
    controller: values.controller === 'true',
    ...(leaseNamespace ? { leaderElection: { namespace: leaseNamespace, timing } } : {}),
    controllerRateLimit: { qps, burst },
    ...(namespaceSelector ? { controllerNamespaceSelector: namespaceSelector } : {}),
    ...(values['agent-image'] ? { agentImage: values['agent-image'] } : {}),
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
  });
  await new Promise<void>((resolve) => {
    if (!io.signal) return; // runs until the process is killed
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  log.info('shutting down');
  await running.close();
  return 0;
};
