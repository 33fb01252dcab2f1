/**
 * Leader election over a `coordination.k8s.io/v1` Lease, with the semantics of client-go's
 * `tools/leaderelection` (leaderelection.go, resourcelock/leaselock.go):
 * - a candidate trusts only its own clock: the holder's lease counts as expired when the record has not
 *   changed for `leaseDurationSeconds` of local time since it was last seen to change (clock skew safe);
 * - an empty `holderIdentity` is a released lease, free at once;
 * - the holder renews every `retryPeriod`; when no renewal succeeds within `renewDeadline` it stops leading;
 * - acquiring sets `acquireTime` and increments `leaseTransitions`; renewing keeps both;
 * - releasing (on a clean stop) writes an empty holder with `leaseDurationSeconds: 1`;
 * - writes are PUTs with the read `resourceVersion`, so two candidates never both win one round (409).
 * Retries of a candidate are jittered (`retryPeriod * (1 + 1.2 * random)`), as client-go's JitterFactor.
 */
import type { KubeClient } from './client.ts';
import { KubeError } from './client.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: LeaseSpec;
}

export interface LeaderElectionTiming {
  /** How long a non-leader waits, from the last observed change of the record, before taking over (client-go: 15 s). */
  leaseDurationMs: number;
  /** How long the leader keeps retrying a renewal before it gives up leading (client-go: 10 s). */
  renewDeadlineMs: number;
  /** Between attempts (client-go: 2 s). */
  retryPeriodMs: number;
}

/**
 * esi's defaults, shorter than client-go's 15/10/2 s so a killed leader is replaced within 15 s (issue 16):
 * a candidate takes over at most leaseDuration after it last saw the record change, and it polls every
 * retryPeriod × (1 … 2.2); it last saw the change at most one such poll after the dead leader's last
 * renewal, so the takeover comes at most 8 + 2 × 2.2 × 1 = 12.4 s after the kill. The renew deadline
 * leaves 3 s between a leader that cannot renew giving up and anyone else taking over. Renewing every
 * second costs the apiserver two requests a second (a GET and a PUT of one small object).
 */
export const DEFAULT_LEADER_TIMING: LeaderElectionTiming = { leaseDurationMs: 8_000, renewDeadlineMs: 5_000, retryPeriodMs: 1_000 };

export const JITTER_FACTOR = 1.2;

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** Unique per process (client-go: hostname + "_" + a UUID). */
  identity: string;
  timing?: Partial<LeaderElectionTiming>;
  /** Called once leadership is won; `signal` aborts when it is lost or the elector stops. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called when leadership ends (lost or released); awaited before the lease is released. */
  onStoppedLeading: () => void | Promise<void>;
  onNewLeader?: (identity: string) => void;
  onError?: (what: string, err: unknown) => void;
  now?: () => number;
  random?: () => number;
}

/** client-go's MicroTime text: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Validation as client-go's NewLeaderElector does; throws naming the rule. */
export function checkTiming(t: LeaderElectionTiming): void {
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs)) throw new Error('leader election: renewDeadline must be greater than retryPeriod*1.2');
  if (t.retryPeriodMs <= 0) throw new Error('leader election: retryPeriod must be greater than zero');
  if (t.leaseDurationMs < 1000) throw new Error('leader election: leaseDuration must be at least 1 s (the Lease counts whole seconds)');
}

/** The record a successful acquire or renew writes. Pure. */
export function nextRecord(old: LeaseSpec | undefined, identity: string, leaseDurationMs: number, nowMs: number): LeaseSpec {
  const now = microTime(nowMs);
  const held = old?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.round(leaseDurationMs / 1000),
    acquireTime: held && old?.acquireTime ? old.acquireTime : now,
    renewTime: now,
    leaseTransitions: held ? (old?.leaseTransitions ?? 0) : (old ? (old.leaseTransitions ?? 0) + 1 : 0),
  };
}

/** Whether a candidate may take the lease now: released, expired by local observation, or already its own. Pure. */
export function mayAcquire(spec: LeaseSpec, identity: string, observedAtMs: number, nowMs: number): boolean {
  if (!spec.holderIdentity || spec.holderIdentity === identity) return true;
  return observedAtMs + (spec.leaseDurationSeconds ?? 0) * 1000 < nowMs;
}

export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  readonly #t: LeaderElectionTiming;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #stop = new AbortController();
  #lease: Lease | undefined;
  /** The last record seen (JSON) and when it was first seen locally. */
  #observed: { raw: string; at: number } | undefined;
  #reportedLeader = '';
  #leading = false;
  #loop: Promise<void> | undefined;
  #leadership: { abort: AbortController; work: Promise<void> } | undefined;

  constructor(o: LeaderElectorOptions) {
    this.#o = o;
    this.#t = { ...DEFAULT_LEADER_TIMING, ...(o.timing ?? {}) };
    checkTiming(this.#t);
    if (!o.identity) throw new Error('leader election: identity is empty');
    this.#now = o.now ?? Date.now;
    this.#random = o.random ?? Math.random;
  }

  get identity(): string {
    return this.#o.identity;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last seen in the Lease ('' when none). */
  leader(): string {
    return this.#reportedLeader;
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`;
  }

  /** Runs until stop(): campaign, lead while renewals succeed, campaign again after a loss. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops leading (awaiting onStoppedLeading), releases the lease if held, and ends the loop. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      // Campaign: try now, then every retryPeriod with jitter.
      while (!signal.aborted && !(await this.#tryAcquireOrRenew())) {
        await this.#sleep(this.#t.retryPeriodMs * (1 + JITTER_FACTOR * this.#random()));
      }
      if (signal.aborted) break;
      this.#startLeading();
      // Lead: renew every retryPeriod; a renewal may retry until renewDeadline.
      while (!signal.aborted) {
        await this.#sleep(this.#t.retryPeriodMs);
        if (signal.aborted) break;
        if (!(await this.#renewWithin(this.#t.renewDeadlineMs))) {
          this.#o.onError?.('lease renewal failed within the renew deadline; stopping leading', undefined);
          break;
        }
      }
      await this.#stopLeading();
    }
    if (this.#lease?.spec.holderIdentity === this.#o.identity) await this.#release();
  }

  #startLeading(): void {
    this.#leading = true;
    const abort = new AbortController();
    const work = (async () => {
      try {
        await this.#o.onStartedLeading(abort.signal);
      } catch (e) {
        this.#o.onError?.('onStartedLeading failed', e);
      }
    })();
    this.#leadership = { abort, work };
  }

  async #stopLeading(): Promise<void> {
    if (!this.#leadership) return;
    this.#leading = false;
    this.#leadership.abort.abort();
    await this.#leadership.work;
    this.#leadership = undefined;
    try {
      await this.#o.onStoppedLeading();
    } catch (e) {
      this.#o.onError?.('onStoppedLeading failed', e);
    }
  }

  async #renewWithin(deadlineMs: number): Promise<boolean> {
    const end = this.#now() + deadlineMs;
    for (;;) {
      if (await this.#tryAcquireOrRenew(Math.max(1000, end - this.#now()))) return true;
      if (this.#stop.signal.aborted || this.#now() + this.#t.retryPeriodMs >= end) return false;
      await this.#sleep(this.#t.retryPeriodMs);
    }
  }

  #observe(spec: LeaseSpec): void {
    const raw = JSON.stringify(spec);
    if (this.#observed?.raw !== raw) this.#observed = { raw, at: this.#now() };
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      if (holder) this.#o.onNewLeader?.(holder);
    }
  }

  async #tryAcquireOrRenew(timeoutMs = this.#t.renewDeadlineMs): Promise<boolean> {
    const { client, identity } = this.#o;
    const opts = { timeoutMs: Math.min(timeoutMs, this.#t.renewDeadlineMs) };
    try {
      const got = await client.send<Lease>('GET', `${this.#path}/${encodeURIComponent(this.#o.name)}`, undefined, opts);
      if (got.status === 404) {
        const lease: Lease = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#o.name, namespace: this.#o.namespace },
          spec: nextRecord(undefined, identity, this.#t.leaseDurationMs, this.#now()),
        };
        this.#lease = await client.request<Lease>('POST', this.#path, lease, opts);
        this.#observe(this.#lease.spec);
        return true;
      }
      if (got.status !== 200) throw new KubeError('GET', `${this.#path}/${this.#o.name}`, got.status, got.body);
      const current = got.body;
      this.#lease = current;
      this.#observe(current.spec ?? {});
      if (!mayAcquire(current.spec ?? {}, identity, this.#observed!.at, this.#now())) return false;
      const updated: Lease = { ...current, spec: nextRecord(current.spec, identity, this.#t.leaseDurationMs, this.#now()) };
      this.#lease = await client.request<Lease>('PUT', `${this.#path}/${encodeURIComponent(this.#o.name)}`, updated, opts);
      this.#observe(this.#lease.spec);
      return true;
    } catch (e) {
      // 409: another candidate wrote first this round; anything else: retried next period.
      if (!(e instanceof KubeError && e.status === 409)) this.#o.onError?.('lease update failed', e);
      return false;
    }
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease) return;
    const now = microTime(this.#now());
    const released: Lease = {
      ...lease,
      spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 },
    };
    try {
      await this.#o.client.request('PUT', `${this.#path}/${encodeURIComponent(this.#o.name)}`, released, { timeoutMs: this.#t.renewDeadlineMs });
    } catch (e) {
      this.#o.onError?.('lease release failed (the lease expires instead)', e);
    }
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
