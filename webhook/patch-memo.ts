/**
 * Identical pods get identical answers. A ReplicaSet's (or Job's) pods reach admission as the same object:
 * no name yet, the same generateName, labels, annotations and spec. So a rollout of N replicas needs the
 * injector once; the other N−1 requests reuse its result and differ only in the request uid.
 *
 * Keyed by the request's namespace and the pod as JSON (the apiserver serializes a ReplicaSet's pods the
 * same way). What `AdmissionEnv.context()` reads is not in the key, so whoever builds that context clears
 * the memo when it changes (webhook/run.ts: every watch-cache change, every CA fetch), and no entry
 * outlives `maxAgeMs` (a fetched CA expires by time). Only outcomes the injector reached without an
 * error are kept; denials and errors are recomputed, so their messages stay current. Bounded: 256 pod
 * shapes of at most 32 Ki characters of JSON each (a larger pod is injected every time).
 */
import type { PatchOp } from '../injector/index.ts';

export interface MemoizedAnswer {
  result: 'injected' | 'unchanged';
  /** Base64 JSONPatch (injected) as it goes into the response. */
  patch?: string;
  ops: readonly PatchOp[];
  warnings: readonly string[];
}

export interface PatchMemoOptions {
  /** Distinct pod shapes kept (oldest dropped first); a shape is one pod template. */
  maxEntries?: number;
  /** Pods whose JSON is longer are not kept, so the memo stays under maxEntries × this many characters. */
  maxKeyLength?: number;
  maxAgeMs?: number;
  now?: () => number;
}

export class PatchMemo {
  readonly #entries = new Map<string, { at: number; answer: MemoizedAnswer }>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #maxKeyLength: number;
  readonly #now: () => number;

  constructor(o: PatchMemoOptions = {}) {
    this.#maxEntries = o.maxEntries ?? 256;
    this.#maxAgeMs = o.maxAgeMs ?? 30_000;
    this.#maxKeyLength = o.maxKeyLength ?? 32 * 1024;
    this.#now = o.now ?? Date.now;
  }

  static key(namespace: string, pod: unknown): string {
    return `${namespace}\n${JSON.stringify(pod)}`;
  }

  get(key: string): MemoizedAnswer | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (this.#now() - e.at > this.#maxAgeMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.answer;
  }

  set(key: string, answer: MemoizedAnswer): void {
    if (key.length > this.#maxKeyLength) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { at: this.#now(), answer });
  }

  /** Something a pod's injection reads changed (an ExternalSecret, a store, a namespace, a CA). */
  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
