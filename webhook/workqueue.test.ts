import { afterEach, describe, expect, it, vi } from 'vitest';
import { itemBackoffDelay, TokenBucket, WorkQueue } from './workqueue.ts';

describe('WorkQueue', () => {
  afterEach(() => vi.useRealTimers());

  it('holds a key once however often it is added, in FIFO order', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
    expect(q.length).toBe(0);
  });

  it('never hands a key to two workers: added while processing, it comes back after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0); // not queued while in flight
    let second: string | undefined = 'none';
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBe('none');
    q.done(first!);
    await Promise.resolve();
    expect(second).toBe('a');
    q.done('a');
    expect(q.idle()).toBe(true);
  });

  it('wakes a waiting worker on add, and hands undefined to workers after shutDown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const w2 = q.get();
    q.shutDown();
    expect(await w2).toBeUndefined();
    q.add('y');
    expect(q.length).toBe(0);
  });

  it('retries a failing key after a doubling, capped backoff; forget starts it over', async () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ baseMs: 100, capMs: 1000 });
    expect([1, 2, 3, 4, 5, 6].map((n) => itemBackoffDelay(n, { baseMs: 100, capMs: 1000 }))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(q.addRateLimited('k')).toBe(100);
    expect(q.addRateLimited('k')).toBe(200);
    expect(q.length).toBe(0);
    expect(q.idle()).toBe(false); // waiting out a backoff
    vi.advanceTimersByTime(100);
    expect(q.length).toBe(1);
    q.forget('k');
    expect(q.failures('k')).toBe(0);
    expect(q.addRateLimited('k')).toBe(100);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then paces to qps', () => {
    let now = 0;
    const b = new TokenBucket(10, 3, () => now);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([0, 0, 0]);
    expect(b.tryTake()).toBe(100); // one token every 100 ms at 10/s
    now += 100;
    expect(b.tryTake()).toBe(0);
    now += 10_000;
    expect([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([0, 0, 0, 100]); // never more than the burst saved
  });

  it('take() waits its turn, in order', async () => {
    vi.useFakeTimers();
    const b = new TokenBucket(100, 1, () => Date.now());
    const done: number[] = [];
    for (const i of [1, 2, 3]) void b.take().then(() => done.push(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([1]);
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toEqual([1, 2, 3]);
    vi.useRealTimers();
  });

  it('refuses a rate that cannot be met', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/qps must be > 0/);
  });
});
