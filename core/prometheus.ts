/**
 * Prometheus metrics without a client library: counters, gauges and histograms with labels, and the text
 * exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). esi has a dozen
 * metrics; this is all of them need, in a fraction of the start-up time and memory a full client costs
 * every pod (bench/peers measures it). The reading side (`getSingleMetric(name).get()`) has the shape
 * prom-client's has, so tests read values the same way.
 */

type Labels<L extends string> = Partial<Record<L, string | number>>;

export interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface Metric {
  readonly name: string;
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[] }>;
  expose(): string;
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
/** Go's strconv formatting of the special values, as Prometheus parses them. */
const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

function labelText(labels: Record<string, string | number>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** One series per label combination, keyed by the values in the declared label order. */
abstract class Family<L extends string> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly #labelNames: readonly L[];
  protected readonly series = new Map<string, { labels: Record<string, string | number>; value: number }>();

  constructor(o: { name: string; help: string; labelNames?: readonly L[]; registers?: Registry[] }) {
    this.name = o.name;
    this.help = o.help;
    this.#labelNames = o.labelNames ?? [];
    for (const r of o.registers ?? []) r.register(this);
  }

  abstract readonly type: string;

  protected slot(labels: Labels<L> | undefined): { labels: Record<string, string | number>; value: number } {
    const l: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(labels ?? {}) as [string, string | number | undefined][]) {
      if (v === undefined) continue;
      if (!this.#labelNames.includes(k as L)) throw new Error(`metric ${this.name}: unknown label ${k}`);
      l[k] = v;
    }
    const key = this.#labelNames.map((n) => String(l[n] ?? '')).join('\0');
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: l, value: 0 }));
    return s;
  }

  async get() {
    return { name: this.name, help: this.help, type: this.type, values: this.values() };
  }

  protected values(): MetricValue[] {
    // A metric without labels reads 0 before its first update, as Prometheus clients expose it.
    if (this.series.size === 0 && this.#labelNames.length === 0) return [{ value: 0, labels: {} }];
    return [...this.series.values()].map((s) => ({ value: s.value, labels: { ...s.labels } }));
  }

  expose(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const v of this.values()) lines.push(`${v.metricName ?? this.name}${labelText(v.labels)} ${num(v.value)}`);
    return lines.join('\n');
  }
}

export class Counter<L extends string = string> extends Family<L> {
  readonly type = 'counter';
  inc(labels?: Labels<L> | number, by = 1): void {
    if (typeof labels === 'number') [labels, by] = [undefined, labels];
    if (!(by >= 0)) throw new Error(`counter ${this.name}: cannot increase by ${by}`);
    this.slot(labels).value += by;
  }
}

export class Gauge<L extends string = string> extends Family<L> {
  readonly type = 'gauge';
  set(labels: Labels<L> | number, value?: number): void {
    if (typeof labels === 'number') this.slot(undefined).value = labels;
    else this.slot(labels).value = value ?? 0;
  }
  inc(labels?: Labels<L> | number, by = 1): void {
    if (typeof labels === 'number') [labels, by] = [undefined, labels];
    this.slot(labels).value += by;
  }
  dec(labels?: Labels<L> | number, by = 1): void {
    if (typeof labels === 'number') [labels, by] = [undefined, labels];
    this.slot(labels).value -= by;
  }
}

export class Histogram<L extends string = string> extends Family<L> {
  readonly type = 'histogram';
  readonly #buckets: number[];
  readonly #counts = new Map<{ labels: Record<string, string | number>; value: number }, { buckets: number[]; sum: number }>();

  constructor(o: { name: string; help: string; labelNames?: readonly L[]; buckets: number[]; registers?: Registry[] }) {
    super(o);
    this.#buckets = [...o.buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels<L> | number, value?: number): void {
    if (typeof labels === 'number') [labels, value] = [{}, labels];
    const v = value ?? 0;
    const s = this.slot(labels);
    let c = this.#counts.get(s);
    if (!c) this.#counts.set(s, (c = { buckets: this.#buckets.map(() => 0), sum: 0 }));
    s.value += 1; // the series' count
    c.sum += v;
    const i = this.#buckets.findIndex((b) => v <= b);
    if (i >= 0) c.buckets[i]! += 1;
  }

  protected override values(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const s of this.series.values()) {
      const c = this.#counts.get(s)!;
      let cumulative = 0;
      this.#buckets.forEach((b, i) => {
        cumulative += c.buckets[i]!;
        out.push({ metricName: `${this.name}_bucket`, labels: { le: b, ...s.labels }, value: cumulative });
      });
      out.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.value });
      out.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: c.sum });
      out.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.value });
    }
    return out;
  }
}

/** Metrics whose value is read at scrape time (process figures). */
export class Collected implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    readonly read: () => MetricValue[],
  ) {}
  async get() {
    return { name: this.name, help: this.help, type: this.type, values: this.read() };
  }
  expose(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const v of this.read()) lines.push(`${this.name}${labelText(v.labels)} ${num(v.value)}`);
    return lines.join('\n');
  }
}

export class Registry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  readonly #metrics = new Map<string, Metric>();

  register(m: Metric): void {
    if (this.#metrics.has(m.name)) throw new Error(`metric ${m.name} is already registered`);
    this.#metrics.set(m.name, m);
  }

  getSingleMetric(name: string): Metric | undefined {
    return this.#metrics.get(name);
  }

  async metrics(): Promise<string> {
    return [...this.#metrics.values()].map((m) => `${m.expose()}\n`).join('\n');
  }
}
