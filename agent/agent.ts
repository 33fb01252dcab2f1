/**
 * The in-pod agent: a refresh loop over the pod's ExternalSecrets. Each round syncs the ExternalSecrets
 * that are due with one client per store and one backend call per distinct remote ref, writes each
 * ExternalSecret's directory atomically (or leaves the last good set on failure), and then tells the
 * app, the probes, the metrics and the Pod's Events what happened.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, watch as fsWatch } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeError, EsiError, type KubeObject, type Secret } from '../core/index.ts';
import { DEFAULT_CONTROLLER_CLASS, ENV, externalSecretVersion, HEALTH, READY_FILE_NAME, STATE_FILE_NAME, STATUS_REPORT, storeKey, VERSION_FILE_NAME, type AgentConfig, type AgentExternalSecret } from '../contract/index.ts';
import { ES_CONDITION, ES_EVENT, ES_MESSAGE, failureConditionMessage, kubeTime, renderExternalSecret, targetName, type ExternalSecret, type SecretDataMap, type SecretOutcome, type SecretStore } from '../eso/index.ts';
import { AtomicDirWriter, type FileSet } from './atomic-writer.ts';
import { ensureRealDirUnder, readFileNoFollow, replaceFile } from './safe-fs.ts';
import { roundResolver, StoreSessions, type StoreOpener } from './clients.ts';
import { changeHash, configError, FORCE_SYNC_SPREAD_MS, forceSyncValue, nextRefreshDelay, parseAgentConfig, refreshRule, syncOnChange, validateAgentConfig, type RefreshRule } from './config.ts';
import { envFileContent } from './envfile.ts';
import { jsonLogger, type Logger } from '../core/log.ts';
import { podIdentity, postExternalSecretEvent, postPodEvent, type StatusReport } from './events.ts';
import { ENV_KUBECONFIG, kubeClientFromEnv, type KubeClient } from '../kube/index.ts';
import { providerFor } from '../providers/index.ts';
import { notifyApp } from './notify.ts';
import { syncTargetSecret, unmanagedStores, type SecretSyncResult } from './secret-sync.ts';
import { fetchTemplateObjects, templateObjectRefs, type TemplateObjectRef } from './template-objects.ts';
import { startHealthServer, type HealthServer } from './health.ts';
import { createMetrics, type AgentMetrics } from './metrics.ts';
import { backoffDelay, DEFAULT_BACKOFF, defaultStaleAfter, firstRefreshDelay, jitteredInterval, parseGoDuration, type BackoffPolicy } from './timing.ts';

// The agent's surface keeps its names for these pod-contract facts.
export const AGENT_HEALTH_PORT = HEALTH.port;
export const AGENT_STARTUP_PATH = HEALTH.startupPath;
export const AGENT_READY_PATH = HEALTH.readyPath;
export const AGENT_LIVE_PATH = HEALTH.livePath;
export const ENV_HEALTH_ADDR = ENV.healthAddr;
export const ENV_LOG_LEVEL = ENV.logLevel;
export { READY_FILE_NAME, STATE_FILE_NAME, VERSION_FILE_NAME };
/** After SIGTERM, how long an in-flight round may finish before the agent exits anyway. */
const SHUTDOWN_GRACE_MS = 2000;

export type AgentMode = 'init' | 'sidecar';

export interface AgentEvent {
  type: 'Normal' | 'Warning';
  reason: 'SecretSyncFailed' | 'SecretStale' | 'SecretRotated' | 'SecretSynced';
  message: string;
  externalSecret: string;
}

export interface AgentHooks {
  /** Kubernetes Events on the Pod (events.ts posts the real one with the kube/ client). */
  event?: (e: AgentEvent) => Promise<void> | void;
  /**
   * Writes the ESO-compatible Secret for a syncSecret entry; throws to fail the sync. `render` runs ESO's
   * sync (eso/ renderExternalSecret) against the Secret as it exists now, with this round's clients (no
   * extra backend calls).
   */
  syncSecret?: (entry: AgentExternalSecret, render: (existing?: Secret) => Promise<SecretOutcome>, config: AgentConfig) => Promise<SecretSyncResult | void>;
  /** A sync result of an esi-managed ExternalSecret, as an Event on it (events.ts; the controller writes its status). */
  report?: (r: StatusReport) => Promise<void> | void;
  /** Tells the app that files changed (signal or HTTP POST). */
  notify?: (config: AgentConfig, changed: string[], version: number) => Promise<void>;
  /** Reads the ConfigMaps/Secrets an ExternalSecret's templateFrom names (template-objects.ts, pod's own identity). */
  templateObjects?: (namespace: string, refs: TemplateObjectRef[]) => Promise<KubeObject[]>;
}

export interface RunAgentOptions {
  /** The config, or how to get it; when omitted it is read from `configPath`. */
  config?: AgentConfig | (() => Promise<AgentConfig>);
  /** The downward-API file; watched (fs.watch, plus a slow poll) and reloaded without restart. */
  configPath?: string;
  /** Prefix of the mount path (workstation runs and tests). */
  root?: string;
  mode: AgentMode;
  /** Sidecar: sync once and exit (0 when every ExternalSecret synced). */
  once?: boolean;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  logger?: Logger;
  logLevel?: string;
  /** Where JSON log lines go when no `logger` is given (default: process stdout). */
  logDestination?: { write(line: string): void };
  /** Health server address; false disables it. Default from ESI_AGENT_HEALTH_ADDR, else 0.0.0.0:8099. */
  health?: { host: string; port: number } | false;
  /** Called with the bound health address once listening. */
  onListening?: (address: string) => void;
  backoff?: BackoffPolicy;
  /**
   * Shortest refresh interval (default contract MIN_REFRESH_INTERVAL_MS, 1 s). Only tests that drive
   * hundreds of rotations set it lower; `esi agent` never does.
   */
  minRefreshIntervalMs?: number;
  /** Init mode: attempts per ExternalSecret before giving up (default 5). */
  initAttempts?: number;
  /** Opens a store session (default: providers/ openStore); tests pass stand-ins. */
  openStore?: StoreOpener;
  metrics?: AgentMetrics;
  /** Replaces the default hooks (Events and Secrets through `kube`, on-change from the config). */
  hooks?: AgentHooks;
  /** API client for Events and sync-secret; default: in-cluster or ESI_KUBECONFIG; null: none. */
  kube?: KubeClient | null;
  /** Seconds between config polls in addition to the watcher (default 10; 0 disables). */
  configPollSeconds?: number;
  now?: () => number;
  random?: () => number;
}

interface EsState {
  name: string;
  entry: AgentExternalSecret;
  rule: RefreshRule;
  hash: string;
  writer: AtomicDirWriter;
  synced: boolean;
  lastSuccess?: number;
  failures: number;
  lastError?: string;
  nextDue: number;
  /** The next success is off the periodic schedule (first, forced by a change, after failures): spread the refresh after it. */
  offSchedule: boolean;
  /** Due at a spread force-sync time: not pulled forward into an earlier round (that would undo the spread). */
  spread: boolean;
  staleAfterMs: number;
  staleReported: boolean;
  /** What this pod last reported on the ExternalSecret (status reports), so quiet refreshes report nothing. */
  reported?: { ready: boolean; version: string };
}

interface PersistedState {
  [externalSecret: string]: { hash: string; syncedAt: number };
}

let templateEngine: Promise<unknown> | undefined;
/** The Go template engine, loaded only when an ExternalSecret has a template. */
async function loadTemplateEngine(): Promise<never> {
  // The pod's clock and randomness, for ESO's now/date/rand*/uuidv4 template functions.
  templateEngine ??= import('../eso/template/index.ts').then((m) => m.createTemplateEngine({ now: () => new Date(), randomBytes: (n) => randomBytes(n) }));
  return (await templateEngine) as never;
}

/** A target template or a rewrite transform needs the Go template engine; most ExternalSecrets need neither. */
function usesTemplates(es: ExternalSecret): boolean {
  return es.spec.target.template !== undefined || (es.spec.dataFrom ?? []).some((d) => (d.rewrite ?? []).some((r) => r.transform !== undefined));
}

function decodeSecretData(secret: Secret): SecretDataMap {
  const out: SecretDataMap = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export async function runAgent(opts: RunAgentOptions): Promise<number> {
  const agent = new Agent(opts);
  return agent.run();
}

class Agent {
  readonly #o: RunAgentOptions;
  readonly #log: Logger;
  readonly #metrics: AgentMetrics;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #backoff: BackoffPolicy;
  #config!: AgentConfig;
  #configText = '';
  readonly #states = new Map<string, EsState>();
  #started = false;
  #version = 0;
  #wake: (() => void) | undefined;
  #health: HealthServer | undefined;

  constructor(o: RunAgentOptions) {
    this.#o = o;
    const destination = o.logDestination ?? process.stdout;
    this.#log = o.logger ?? jsonLogger({ level: o.logLevel ?? o.env[ENV_LOG_LEVEL] ?? 'info', base: { component: 'esi-agent' }, write: (line) => void destination.write(line) });
    this.#metrics = o.metrics ?? createMetrics();
    this.#now = o.now ?? Date.now;
    this.#random = o.random ?? Math.random;
    this.#backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.#hooks = o.hooks ?? this.#defaultHooks();
    this.#sessions = new StoreSessions({
      ctx: (store) => {
        // The token the injector projected for this store's provider, if it asked for one.
        const serviceAccountTokenPath = this.#rooted(this.#config.serviceAccountTokens?.[providerFor(store).name]);
        return {
          env: o.env,
          namespace: this.#config.pod.namespace,
          timeoutMs: 10_000,
          ...(serviceAccountTokenPath ? { serviceAccountTokenPath } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          logger: this.#log.child({ component: 'provider' }),
        };
      },
      metrics: this.#metrics,
      log: this.#log,
      ...(o.openStore ? { opener: o.openStore } : {}),
    });
  }

  readonly #sessions: StoreSessions;

  readonly #hooks: AgentHooks;

  #defaultHooks(): AgentHooks {
    let kubePromise: Promise<KubeClient | undefined> | undefined;
    const kubeClient = () =>
      (kubePromise ??= (async () => {
        if (this.#o.kube === null) return undefined;
        if (this.#o.kube) return this.#o.kube;
        try {
          return await kubeClientFromEnv(this.#o.env);
        } catch (e) {
          this.#log.warn({ err: describeError(e) }, 'no Kubernetes API access: Events are only logged and sync-secret fails');
          return undefined;
        }
      })());
    const env = this.#o.env;
    return {
      event: async (e) => {
        const pod = podIdentity(this.#config, env);
        const kube = await kubeClient();
        if (!kube || !pod) return;
        await postPodEvent(kube, e, pod, new Date(this.#now()));
      },
      syncSecret: async (entry, render, config) => {
        const kube = await kubeClient();
        if (!kube) throw new EsiError('kube-unavailable', `esi.dev/sync-secret: no Kubernetes API access to write Secret for ExternalSecret ${entry.externalSecret.metadata.name} (not in a cluster and ${ENV_KUBECONFIG} unset)`);
        return syncTargetSecret(entry, render, config, { kube, log: this.#log, metrics: this.#metrics, random: this.#random });
      },
      report: async (r) => {
        const pod = podIdentity(this.#config, env);
        const kube = await kubeClient();
        if (!kube || !pod) return;
        await postExternalSecretEvent(kube, r, pod, new Date(this.#now()));
      },
      templateObjects: async (namespace, refs) => fetchTemplateObjects(await kubeClient(), namespace, refs),
      notify: async (config, changed, version) => {
        if (!config.onChange) return;
        const what = await notifyApp(config.onChange, changed, version);
        this.#log.info({ externalSecrets: changed, version, notified: what }, 'app notified of the change');
      },
    };
  }

  #mountRoot(): string {
    return join(this.#o.root ?? '/', this.#config.mountPath);
  }

  /** The mount root, present as a real directory; under --root every component below the root is checked too. */
  async #ensureMountRoot(): Promise<string> {
    const root = this.#mountRoot();
    if (this.#o.root) await ensureRealDirUnder(this.#o.root, root);
    else await mkdir(root, { recursive: true });
    return root;
  }

  async run(): Promise<number> {
    const { signal } = this.#o;
    try {
      this.#applyConfig(await this.#initialConfig());
    } catch (e) {
      this.#log.error({ err: describeError(e) }, 'agent config rejected');
      this.#o.logger ?? this.#log.flush?.();
      throw configError(this.#o.configPath ?? 'agent config', e);
    }
    const stopWatch = this.#o.configPath && !(this.#o.mode === 'init' || this.#o.once) ? await this.#watchConfig(this.#o.configPath) : undefined;
    try {
      await this.#startHealth();
      await this.#ensureMountRoot();
      if (this.#o.mode === 'sidecar' && !this.#o.once) await this.#adoptPersisted();
      const initAttempts = this.#o.initAttempts ?? 5;
      const stopped = aborted(signal);
      while (!signal?.aborted) {
        const now = this.#now();
        // Whatever falls due within a moment joins this round, so its fetches are shared.
        const due = [...this.#states.values()].filter((s) => s.nextDue <= now + (s.spread ? 0 : Math.min(1000, 0.1 * Math.max(0, s.rule.intervalMs))));
        // SIGTERM ends the run promptly even in the middle of a round (in-flight calls have timeouts).
        if (due.length > 0) {
          const round = this.#round(due);
          await Promise.race([round, stopped]);
          if (signal?.aborted) {
            // Let an in-flight round finish its atomic writes briefly; providers abort their calls on the signal.
            await Promise.race([round, new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref())]);
            break;
          }
        }
        this.#checkStale();
        const all = [...this.#states.values()];
        const complete = all.every((s) => s.synced);
        if (complete && !this.#started) await this.#markStarted();
        if (this.#o.mode === 'init' || this.#o.once) {
          if (complete) {
            this.#log.info({ externalSecrets: all.map((s) => s.name) }, 'first complete sync done');
            return 0;
          }
          const exhausted = all.filter((s) => !s.synced && (this.#o.once || s.failures >= initAttempts));
          if (exhausted.length > 0) {
            const reasons = exhausted.map((s) => `${s.name}: ${s.lastError ?? 'not synced'}`).join('; ');
            this.#log.error({ externalSecrets: exhausted.map((s) => s.name) }, `first sync failed: ${reasons}`);
            throw new EsiError('first-sync', `first sync failed after ${this.#o.once ? 1 : initAttempts} attempt(s): ${reasons}`);
          }
        }
        await this.#sleepUntilDue();
      }
      this.#log.info('stopping (signal)');
      return 0;
    } finally {
      await stopWatch?.();
      await this.#health?.close();
      await this.#sessions.retain(undefined);
    }
  }

  async #initialConfig(): Promise<AgentConfig> {
    const c = this.#o.config;
    if (typeof c === 'function') return validateAgentConfig(await c(), 'agent config');
    if (c) return validateAgentConfig(c, 'agent config');
    if (!this.#o.configPath) throw new EsiError('config', 'no agent config: pass --config FILE');
    const text = await readFile(this.#o.configPath, 'utf8');
    this.#configText = text;
    return parseAgentConfig(text, this.#o.configPath);
  }

  /** Installs a config: keeps the state of ExternalSecrets that stay, marks changed ones due. */
  #applyConfig(config: AgentConfig): void {
    this.#config = config;
    const seen = new Set<string>();
    const now = this.#now();
    for (const entry of config.externalSecrets) {
      const name = entry.externalSecret.metadata.name;
      seen.add(name);
      const rule = refreshRule(entry, config, this.#o.minRefreshIntervalMs);
      const hash = changeHash(entry, config);
      const staleAfterMs = config.staleAfter ? parseGoDuration(config.staleAfter, 'staleAfter') : defaultStaleAfter(rule.policy === 'Periodic' ? rule.intervalMs : 0);
      const writer = new AtomicDirWriter(join(this.#mountRoot(), entry.dir), { mode: config.fileMode });
      const prev = this.#states.get(name);
      if (!prev) {
        this.#states.set(name, { name, entry, rule, hash, writer, synced: false, failures: 0, nextDue: now, offSchedule: true, spread: false, staleAfterMs, staleReported: false });
        continue;
      }
      const changed = prev.hash !== hash;
      const forced = forceSyncValue(entry) !== forceSyncValue(prev.entry);
      Object.assign(prev, { entry, rule, writer, staleAfterMs });
      if (changed) {
        prev.hash = hash;
        if (syncOnChange(rule, prev.synced)) {
          // A force-sync refetches data the pod already has: spread it (every pod got the change at once).
          // A first sync or a spec change is not delayed.
          prev.spread = forced && prev.synced;
          prev.nextDue = prev.spread ? now + Math.floor(this.#random() * FORCE_SYNC_SPREAD_MS) : now;
          prev.offSchedule = true;
          prev.failures = 0;
        }
        this.#log.info({ externalSecret: name, forceSync: forced, syncInMs: prev.nextDue - now }, 'ExternalSecret changed in config');
      }
    }
    void this.#sessions?.retain(new Set(Object.keys(config.stores)));
    const dirsInUse = new Set(config.externalSecrets.map((e) => e.dir));
    for (const [name, s] of [...this.#states]) {
      if (seen.has(name)) continue;
      this.#states.delete(name);
      // An ExternalSecret writing into the mount root itself (dir "") or a directory another one now uses keeps its files.
      if (s.entry.dir === '' || dirsInUse.has(s.entry.dir)) {
        this.#log.info({ externalSecret: name }, 'ExternalSecret removed from config; its directory is shared, files are left as they are');
        continue;
      }
      void s.writer.remove().then(
        (removed) => this.#log.info({ externalSecret: name, dir: s.writer.dir, removed }, 'ExternalSecret removed from config; its files were removed'),
        (e) => this.#log.error({ externalSecret: name, err: describeError(e) }, 'ExternalSecret removed from config; removing its files failed'),
      );
    }
  }

  async #round(due: EsState[]): Promise<void> {
    const resolver = roundResolver({ stores: this.#config.stores, sessions: this.#sessions, metrics: this.#metrics, log: this.#log }, due.map((s) => s.entry.externalSecret));
    const rotated: string[] = [];
    const changed: string[] = [];
    // One draw per round: ExternalSecrets synced together stay due together (one round, shared fetches).
    const roundRandom = this.#random();
    await Promise.all(
      due.map(async (s) => {
        const result = await this.#syncOne(s, resolver, roundRandom);
        if (result === 'rotated') rotated.push(s.name);
        if (result === 'rotated' || result === 'written') changed.push(s.name);
      }),
    );
    if (changed.length > 0) await this.#bumpVersion(changed);
    if (rotated.length > 0 && this.#hooks.notify) {
      await this.#hooks.notify(this.#config, rotated, this.#version).catch((e) => this.#log.warn({ err: describeError(e), externalSecrets: rotated }, 'on-change notification failed'));
    }
  }

  async #syncOne(s: EsState, resolver: ReturnType<typeof roundResolver>, roundRandom: number): Promise<'rotated' | 'written' | 'unchanged' | 'failed'> {
    const es = s.entry.externalSecret;
    const started = this.#now();
    s.spread = false;
    let stage: 'data' | 'secret' = 'data';
    try {
      const engine = usesTemplates(es) ? await loadTemplateEngine() : undefined;
      const stores = Object.values(this.#config.stores);
      const refs = templateObjectRefs(es);
      const objects = refs.length > 0 && this.#hooks.templateObjects ? await this.#hooks.templateObjects(es.metadata.namespace || this.#config.pod.namespace, refs) : [];
      const render = async (target: ExternalSecret, controllerClass: string, existing?: Secret) =>
        renderExternalSecret({
          externalSecret: target,
          stores,
          namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.#config.pod.namespace, labels: this.#config.namespaceLabels ?? {} } },
          ...(existing ? { existing } : {}),
          objects,
          clientFactory: (store: SecretStore) => resolver({ kind: store.kind, name: store.metadata.name }),
          controllerClass,
          ...(engine ? { engine } : {}),
        });
      // Files are the pod's own: they always get what ESO would put in a Secret it creates and owns, whoever
      // manages the store (ESO v2.9.0 pkg/controllers/secretstore/common.go ShouldProcessStore: controller classes only decide who writes Secrets).
      const forFiles: ExternalSecret = { ...es, spec: { ...es.spec, target: { ...es.spec.target, creationPolicy: 'Owner', immutable: false } } };
      const ownClass = this.#config.stores[storeKey(es.spec.secretStoreRef?.kind ?? '', es.spec.secretStoreRef?.name ?? '')]?.spec.controller ?? '';
      const r = await render(forFiles, ownClass);
      let result: 'rotated' | 'written' | 'unchanged' = 'unchanged';
      let data: SecretDataMap | undefined;
      if (r.outcome.action === 'write') data = decodeSecretData(r.outcome.secret);
      else if (r.providerData && Object.keys(r.providerData).length === 0 && es.spec.target.deletionPolicy !== 'Retain') data = {};
      if (data === undefined) {
        // e.g. DeletionPolicy=Retain with no data: ESO leaves its Secret untouched; so do the files.
        this.#log.warn({ externalSecret: s.name, reason: r.outcome.action === 'write' ? '' : r.outcome.reason }, 'files retained as they are');
      } else {
        const w = await s.writer.write(this.#filesFor(s.entry, data));
        if (w.changed) {
          result = s.synced || w.removed.length + w.updated.length > 0 ? 'rotated' : 'written';
          this.#log.info({ externalSecret: s.name, dir: s.writer.dir, added: w.added, updated: w.updated, removed: w.removed }, result === 'rotated' ? 'files rotated' : 'files written');
        }
      }
      let secretResult: SecretSyncResult | undefined;
      if (s.entry.syncSecret && this.#hooks.syncSecret) {
        const cls = this.#config.controllerClass ?? DEFAULT_CONTROLLER_CLASS;
        stage = 'secret';
        secretResult = (await this.#hooks.syncSecret(s.entry, async (existing) => (await render(es, cls, existing)).outcome, this.#config)) ?? undefined;
      }
      const wasFailing = s.failures > 0;
      const wasStale = s.staleReported;
      // All of the round's state changes at once, before any await: readiness, the stale gauge and the
      // metrics never disagree about whether this ExternalSecret is healthy.
      s.synced = true;
      s.failures = 0;
      s.lastError = undefined;
      s.lastSuccess = this.#now();
      if (wasStale) {
        s.staleReported = false;
        this.#metrics.stale.set({ external_secret: s.name }, 0);
      }
      // From the round's start, so ExternalSecrets synced together stay due together (one round, shared fetches).
      s.nextDue = started + this.#refreshDelay(s, roundRandom);
      s.offSchedule = false;
      this.#metrics.syncs.inc({ external_secret: s.name, result: 'success' });
      this.#metrics.lastSuccess.set({ external_secret: s.name }, s.lastSuccess / 1000);
      this.#log.debug({ externalSecret: s.name, ms: s.lastSuccess - started, result }, 'sync done');
      await this.#reportSuccess(s, started, { result, secretResult, retained: data === undefined, deleted: data !== undefined && Object.keys(data).length === 0 && es.spec.target.deletionPolicy === 'Delete' });
      if (result === 'rotated') {
        this.#metrics.rotations.inc({ external_secret: s.name });
        await this.#event({ type: 'Normal', reason: 'SecretRotated', externalSecret: s.name, message: `files of ExternalSecret ${s.name} were updated in place` });
      } else if (wasFailing || wasStale) {
        await this.#event({ type: 'Normal', reason: 'SecretSynced', externalSecret: s.name, message: `ExternalSecret ${s.name} synced again after failures` });
      }
      return result;
    } catch (e) {
      const code = e instanceof EsiError ? e.code : 'error';
      const message = describeError(e);
      s.failures += 1;
      s.offSchedule = true;
      const repeated = s.lastError === message;
      s.lastError = message;
      const cap = s.rule.intervalMs > 0 ? Math.min(this.#backoff.capMs, Math.max(s.rule.intervalMs, this.#backoff.baseMs)) : this.#backoff.capMs;
      s.nextDue = this.#now() + backoffDelay(s.failures, { baseMs: this.#backoff.baseMs, capMs: cap }, this.#random());
      this.#metrics.syncs.inc({ external_secret: s.name, result: 'error' });
      this.#metrics.syncErrors.inc({ external_secret: s.name, reason: code });
      this.#log.error({ externalSecret: s.name, code, failures: s.failures, retryInMs: Math.round(s.nextDue - this.#now()), err: message }, 'sync failed; the last good files stay');
      if (!repeated || s.reported?.ready !== false) await this.#reportFailure(s, started, message, stage);
      if (!repeated) {
        await this.#event({ type: 'Warning', reason: 'SecretSyncFailed', externalSecret: s.name, message: `sync of ExternalSecret ${s.name} failed (files keep the last good values): ${message}` });
      }
      return 'failed';
    }
  }

  /** Status reports go only to ExternalSecrets of esi's class (ESO writes the others' status) that exist as objects. */
  #reportable(s: EsState): { name: string; namespace: string; uid: string } | undefined {
    const md = s.entry.externalSecret.metadata;
    if (!this.#hooks.report || !md.uid || unmanagedStores(s.entry, this.#config).length > 0) return undefined;
    return { name: md.name, namespace: md.namespace || this.#config.pod.namespace, uid: md.uid };
  }

  /**
   * ESO's Event for what this sync did (Created/Updated/Deleted on the Secret; Updated when the files
   * changed), else a `Synced` report when the status needs one (the pod's first sync, a recovery, a new
   * ExternalSecret version). A quiet refresh reports nothing.
   */
  async #reportSuccess(s: EsState, started: number, o: { result: string; secretResult: SecretSyncResult | undefined; retained: boolean; deleted: boolean }): Promise<void> {
    const target = this.#reportable(s);
    if (!target) return;
    const es = s.entry.externalSecret;
    const version = externalSecretVersion(es);
    const [conditionReason, conditionMessage] =
      o.secretResult === 'deleted' || o.deleted
        ? [ES_CONDITION.deleted, ES_MESSAGE.deleted]
        : o.retained
          ? [ES_CONDITION.synced, ES_MESSAGE.syncedRetain]
          : o.secretResult === 'none' && es.spec.target.creationPolicy === 'Merge'
            ? [ES_CONDITION.missing, ES_MESSAGE.missing]
            : [ES_CONDITION.synced, ES_MESSAGE.synced];
    const eso =
      o.secretResult === 'created' ? ES_EVENT.created : o.secretResult === 'updated' ? ES_EVENT.updated : o.secretResult === 'deleted' ? ES_EVENT.deleted : o.result === 'rotated' ? ES_EVENT.updated : undefined;
    const due = !s.reported?.ready || s.reported.version !== version;
    if (!eso && !due) return;
    const binding = o.secretResult === 'created' || o.secretResult === 'updated' || o.secretResult === 'unchanged' ? targetName(es) : undefined;
    s.reported = { ready: true, version };
    await this.#sendReport({
      externalSecret: target,
      type: 'Normal',
      reason: eso?.reason ?? STATUS_REPORT.syncedReason,
      message: eso?.message ?? conditionMessage,
      ready: true,
      conditionReason,
      conditionMessage,
      version,
      syncedAt: kubeTime(started),
      ...(binding ? { binding } : {}),
    });
  }

  /** ESO's UpdateFailed Event: the error text, and the Ready=False condition ESO's markAsFailed sets. */
  async #reportFailure(s: EsState, started: number, message: string, stage: 'data' | 'secret'): Promise<void> {
    const target = this.#reportable(s);
    if (!target) return;
    const version = externalSecretVersion(s.entry.externalSecret);
    s.reported = { ready: false, version };
    await this.#sendReport({
      externalSecret: target,
      type: 'Warning',
      reason: ES_EVENT.updateFailed.reason,
      message,
      ready: false,
      conditionReason: ES_CONDITION.syncedError,
      conditionMessage: failureConditionMessage(message, stage),
      version,
      syncedAt: kubeTime(started),
    });
  }

  async #sendReport(r: StatusReport): Promise<void> {
    try {
      await this.#hooks.report!(r);
    } catch (err) {
      this.#log.warn({ reason: r.reason, externalSecret: r.externalSecret.name, err: describeError(err) }, 'could not record a Kubernetes Event');
    }
  }

  #refreshDelay(s: EsState, random: number): number {
    const d = nextRefreshDelay(s.rule);
    if (!Number.isFinite(d)) return Infinity;
    return s.offSchedule ? firstRefreshDelay(d, random) : jitteredInterval(d, random);
  }

  #filesFor(entry: AgentExternalSecret, data: SecretDataMap): FileSet {
    const files: FileSet = { ...data };
    if (entry.envFile) {
      if (entry.envFile in files) throw new EsiError('invalid-key', `envFile ${JSON.stringify(entry.envFile)} collides with a secret key of the same name`);
      files[entry.envFile] = envFileContent(data);
    }
    return files;
  }

  #checkStale(): void {
    const now = this.#now();
    for (const s of this.#states.values()) {
      if (!s.synced || s.lastSuccess === undefined || s.failures === 0) continue;
      if (now - s.lastSuccess <= s.staleAfterMs || s.staleReported) continue;
      s.staleReported = true;
      this.#metrics.stale.set({ external_secret: s.name }, 1);
      this.#log.error({ externalSecret: s.name, lastSuccessAgeMs: now - s.lastSuccess }, 'files are stale: no successful sync within the staleness bound');
      void this.#event({
        type: 'Warning',
        reason: 'SecretStale',
        externalSecret: s.name,
        message: `files of ExternalSecret ${s.name} are stale: last successful sync ${Math.round((now - s.lastSuccess) / 1000)}s ago; last error: ${s.lastError ?? 'none'}`,
      });
    }
  }

  #notReadyReasons(): string[] {
    const now = this.#now();
    const out: string[] = [];
    for (const s of this.#states.values()) {
      if (!s.synced) out.push(`${s.name}: not synced yet${s.lastError ? `: ${s.lastError}` : ''}`);
      else if (s.lastSuccess !== undefined && s.failures > 0 && now - s.lastSuccess > s.staleAfterMs) {
        out.push(`${s.name}: stale, last successful sync ${Math.round((now - s.lastSuccess) / 1000)}s ago: ${s.lastError ?? ''}`);
      }
    }
    return out;
  }

  async #event(e: AgentEvent): Promise<void> {
    if (!this.#hooks.event) return;
    try {
      await this.#hooks.event(e);
    } catch (err) {
      this.#log.warn({ reason: e.reason, externalSecret: e.externalSecret, err: describeError(err) }, 'could not record a Kubernetes Event');
    }
  }

  async #markStarted(): Promise<void> {
    this.#started = true;
    const root = await this.#ensureMountRoot();
    await replaceFile(join(root, READY_FILE_NAME), `${new Date(this.#now()).toISOString()}\n`);
    await this.#persist();
  }

  async #bumpVersion(changed: string[]): Promise<void> {
    this.#version += 1;
    const root = await this.#ensureMountRoot();
    const p = join(root, VERSION_FILE_NAME);
    // The version continues across agent restarts in the same pod (init → sidecar).
    if (this.#version === 1) {
      const prev = Number.parseInt(await readFileNoFollow(p).then((b) => b.toString('utf8')).catch(() => '0'), 10);
      if (Number.isFinite(prev) && prev > 0) this.#version = prev + 1;
    }
    await replaceFile(p, `${this.#version}\n`);
    this.#log.debug({ version: this.#version, externalSecrets: changed }, 'version file updated');
    if (this.#started) await this.#persist();
  }

  async #persist(): Promise<void> {
    const state: PersistedState = {};
    for (const s of this.#states.values()) if (s.synced && s.lastSuccess !== undefined) state[s.name] = { hash: s.hash, syncedAt: s.lastSuccess };
    await replaceFile(join(await this.#ensureMountRoot(), STATE_FILE_NAME), JSON.stringify(state));
  }

  /**
   * A sidecar started after the init agent adopts what it synced (same config hash, files present)
   * instead of fetching everything again: the next refresh is due one interval after that sync.
   */
  async #adoptPersisted(): Promise<void> {
    let state: PersistedState;
    try {
      state = JSON.parse((await readFileNoFollow(join(this.#mountRoot(), STATE_FILE_NAME))).toString('utf8')) as PersistedState;
    } catch {
      return;
    }
    const now = this.#now();
    for (const s of this.#states.values()) {
      const p = state[s.name];
      if (!p || p.hash !== s.hash || p.syncedAt > now) continue;
      if ((await s.writer.current()) === undefined && s.entry.externalSecret.spec.target.deletionPolicy !== 'Retain') continue;
      const next = p.syncedAt + this.#refreshDelay(s, this.#random());
      if (next <= now) continue;
      s.synced = true;
      s.lastSuccess = p.syncedAt;
      s.nextDue = next;
      s.offSchedule = false;
      this.#log.info({ externalSecret: s.name }, 'adopted the files the init agent synced');
    }
  }

  async #sleepUntilDue(): Promise<void> {
    const { signal } = this.#o;
    const next = Math.min(...[...this.#states.values()].map((s) => s.nextDue));
    // Wake at least every 30 s to re-check staleness; timers beyond 2^31 ms overflow.
    const delay = Math.max(0, Math.min(next - this.#now(), 30_000));
    if (signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, delay);
      signal?.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  async #reloadConfig(path: string, why: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      this.#log.warn({ path, err: describeError(e) }, 'config file unreadable; keeping the current config');
      this.#metrics.configReloads.inc({ result: 'error' });
      return;
    }
    if (text === this.#configText) return;
    try {
      const config = parseAgentConfig(text, path);
      if (config.mountPath !== this.#config.mountPath) throw new EsiError('config', `${path}: mountPath cannot change while the agent runs`);
      this.#configText = text;
      this.#applyConfig(config);
      this.#metrics.configReloads.inc({ result: 'applied' });
      this.#log.info({ path, why }, 'config reloaded');
      this.#wake?.();
    } catch (e) {
      this.#configText = text;
      this.#metrics.configReloads.inc({ result: 'error' });
      this.#log.error({ path, err: describeError(e) }, 'new config rejected; keeping the current config');
    }
  }

  /**
   * Watches the config file's directory, not the file: the kubelet updates downward-API files by
   * swapping a `..data` symlink, and editors and `kubectl cp` replace files by rename; both replace the
   * inode a file watch would follow. On Linux (every pod) that is one inotify watch through fs.watch,
   * which costs ~0.5 MiB of RSS where a watcher library costs ~4.5 MiB in every pod. A slow poll backs it
   * up, and serves alone where fs.watch cannot watch the directory.
   */
  async #watchConfig(path: string): Promise<() => Promise<void>> {
    if (!this.#configText) this.#configText = await readFile(path, 'utf8').catch(() => '');
    const dir = dirname(path);
    const name = basename(path);
    let pending: NodeJS.Timeout | undefined;
    let chain = Promise.resolve();
    const schedule = (why: string) => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        chain = chain.then(() => this.#reloadConfig(path, why));
      }, 50);
    };
    const relevant = (file: string | null | undefined) => !file || file === name || file === '..data' || file === '..data_tmp';
    let close: () => Promise<void> = async () => {};
    let watching = true;
    try {
      const w = fsWatch(dir, { persistent: false }, (_event, file) => {
        if (relevant(file?.toString())) schedule('watch');
      });
      w.on('error', (e) => this.#log.warn({ err: describeError(e) }, 'config watcher error; polling continues'));
      close = async () => w.close();
    } catch (e) {
      // fs.watch fails only where inotify does (its watch limit reached on a busy node); a watcher library
      // would fall back to polling there too, so the agent polls on its own.
      watching = false;
      this.#log.warn({ err: describeError(e) }, 'fs.watch cannot watch the config directory; polling it instead');
    }
    // Polling may be switched off (tests) only while fs.watch works.
    const configured = this.#o.configPollSeconds ?? 10;
    const pollMs = (configured > 0 ? configured : watching ? 0 : 10) * 1000;
    const poll = pollMs > 0 ? setInterval(() => schedule('poll'), pollMs) : undefined;
    poll?.unref();
    return async () => {
      clearTimeout(pending);
      if (poll) clearInterval(poll);
      await close();
      await chain;
    };
  }

  async #startHealth(): Promise<void> {
    let listen = this.#o.health;
    if (listen === undefined) {
      const addr = this.#o.env[ENV_HEALTH_ADDR];
      if (addr === 'off') listen = false;
      else if (addr) {
        const i = addr.lastIndexOf(':');
        listen = { host: addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(addr.slice(i + 1)) };
      } else listen = this.#o.mode === 'init' || this.#o.once ? false : { host: '0.0.0.0', port: AGENT_HEALTH_PORT };
    }
    if (listen === false) return;
    this.#health = await startHealthServer(listen, { started: () => this.#started, notReadyReasons: () => this.#notReadyReasons() }, this.#metrics.registry);
    this.#log.info({ address: this.#health.address }, 'health and metrics server listening');
    this.#o.onListening?.(this.#health.address);
  }

  /** Under --root, a pod path is taken from the root when the file exists there (tokens the harness made). */
  #rooted(p: string | undefined): string | undefined {
    if (!p || !this.#o.root) return p;
    const r = join(this.#o.root, p);
    return existsSync(r) ? r : p;
  }
}
