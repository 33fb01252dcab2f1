/**
 * The controller's work queue, with the guarantees of client-go's `util/workqueue`: a key waits in the
 * queue at most once however often it is added (dedupe); a key is never handed to two workers at once
 * (one being processed that is added again is queued after `done`); failed keys come back after a
 * per-key exponential backoff. A token bucket paces the API writes the workers make.
 */

export interface ItemBackoff {
  baseMs: number;
  capMs: number;
}

/** Retry delays double per failure of the same key, from 100 ms up to 2 min. */
export const DEFAULT_ITEM_BACKOFF: ItemBackoff = { baseMs: 100, capMs: 120_000 };

/** Delay before retry `failures` (1 = after the first failure): exponential, capped. Pure. */
export function itemBackoffDelay(failures: number, b: ItemBackoff): number {
  return Math.min(b.capMs, b.baseMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
}

/**
 * One leadership term of a controller: its queue shuts down and `lead` aborts when `signal` aborts
 * (leadership lost or shutdown); `end()` unhooks from `signal` once the workers have returned.
 */
export function leadershipTerm(signal: AbortSignal, backoff?: ItemBackoff): { queue: WorkQueue; lead: AbortController; end(): void } {
  const queue = new WorkQueue(backoff);
  const lead = new AbortController();
  const stop = () => {
    queue.shutDown();
    lead.abort();
  };
  signal.addEventListener('abort', stop, { once: true });
  return { queue, lead, end: () => signal.removeEventListener('abort', stop) };
}

export class WorkQueue {
  readonly #backoff: ItemBackoff;
  #queue: string[] = [];
  #head = 0;
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, NodeJS.Timeout>();
  #waiters: ((key: string | undefined) => void)[] = [];
  #shutDown = false;

  constructor(backoff: ItemBackoff = DEFAULT_ITEM_BACKOFF) {
    this.#backoff = backoff;
  }

  /** Keys waiting (not counting those being processed or waiting out a backoff). */
  get length(): number {
    return this.#queue.length - this.#head;
  }

  get processing(): number {
    return this.#processing.size;
  }

  /** Nothing queued, nothing in flight, nothing waiting out a backoff. */
  idle(): boolean {
    return this.length === 0 && this.#processing.size === 0 && this.#delayed.size === 0;
  }

  add(key: string): void {
    if (this.#shutDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return; // re-queued by done()
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
    } else this.#queue.push(key);
  }

  /** Adds the key after its backoff; returns the delay. */
  addRateLimited(key: string): number {
    const n = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, n);
    const delay = itemBackoffDelay(n, this.#backoff);
    this.addAfter(key, delay);
    return delay;
  }

  addAfter(key: string, ms: number): void {
    if (this.#shutDown || this.#delayed.has(key)) return;
    const t = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.#delayed.set(key, t);
  }

  /** The key succeeded (or is given up): its next failure starts the backoff over. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** The next key (now marked processing), or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.#shutDown) return Promise.resolve(undefined);
    if (this.length > 0) {
      const key = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  /** Hands undefined to waiting workers; later adds are ignored; pending backoffs are dropped. */
  shutDown(): void {
    this.#shutDown = true;
    for (const t of this.#delayed.values()) clearTimeout(t);
    this.#delayed.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}

/**
 * Token bucket: `qps` tokens a second, at most `burst` saved. `take` resolves when a token is free
 * (callers queue in order), or at once when the signal aborts.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  #tail: Promise<void> = Promise.resolve();

  constructor(
    readonly qps: number,
    readonly burst: number,
    readonly now: () => number = () => performance.now(),
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error('rate limit: qps must be > 0 and burst >= 1');
    this.#tokens = burst;
    this.#last = now();
  }

  #refill(): void {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) * this.qps) / 1000);
    this.#last = t;
  }

  /** Milliseconds until a token is free (0 = now); takes it when free. */
  tryTake(): number {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.qps);
  }

  take(signal?: AbortSignal): Promise<void> {
    const next = this.#tail.then(async () => {
      for (let wait = this.tryTake(); wait > 0 && !signal?.aborted; wait = this.tryTake()) {
        await new Promise((r) => setTimeout(r, wait));
      }
    });
    this.#tail = next;
    return next;
  }
}
