import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry, registerProcessMetrics } from './index.ts';

describe('Prometheus text exposition', () => {
  it('writes HELP, TYPE and one line per labelled series, escaping label values and help text', async () => {
    const r = new Registry();
    const c = new Counter({ name: 'esi_x_total', help: 'a "help"\\ with\nnewline', labelNames: ['es', 'result'], registers: [r] });
    c.inc({ es: 'app', result: 'ok' });
    c.inc({ es: 'app', result: 'ok' }, 2);
    c.inc({ es: 'we"ird\\\n', result: 'error' });
    expect(await r.metrics()).toBe(
      [
        '# HELP esi_x_total a "help"\\\\ with\\nnewline',
        '# TYPE esi_x_total counter',
        'esi_x_total{es="app",result="ok"} 3',
        'esi_x_total{es="we\\"ird\\\\\\n",result="error"} 1',
        '',
      ].join('\n'),
    );
    expect(r.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('keys series by label values in declared order, whatever order the caller passes them in', async () => {
    const r = new Registry();
    const c = new Counter({ name: 'c_total', help: 'h', labelNames: ['a', 'b'], registers: [r] });
    c.inc({ a: '1', b: '2' });
    c.inc({ b: '2', a: '1' });
    expect((await r.getSingleMetric('c_total')!.get()).values).toEqual([{ value: 2, labels: { a: '1', b: '2' } }]);
  });

  it('exposes an unlabelled counter or gauge as 0 before its first update; a labelled one has no series yet', async () => {
    const r = new Registry();
    new Gauge({ name: 'g', help: 'h', registers: [r] });
    new Counter({ name: 'l_total', help: 'h', labelNames: ['x'], registers: [r] });
    expect(await r.metrics()).toBe('# HELP g h\n# TYPE g gauge\ng 0\n\n# HELP l_total h\n# TYPE l_total counter\n');
  });

  it('gauges set, increase and decrease; counters refuse to go down or use undeclared labels', () => {
    const g = new Gauge({ name: 'g', help: 'h', labelNames: ['es'] });
    g.set({ es: 'a' }, 5);
    g.inc({ es: 'a' });
    g.dec({ es: 'a' }, 2);
    expect(g['series'].get('a')!.value).toBe(4);
    const c = new Counter({ name: 'c_total', help: 'h', labelNames: ['es'] });
    expect(() => c.inc({ es: 'a' }, -1)).toThrow(/cannot increase by -1/);
    expect(() => c.inc({ nope: 'a' } as never)).toThrow(/unknown label nope/);
  });

  it('histograms count cumulatively per bucket (le first), with +Inf, _sum and _count', async () => {
    const r = new Registry();
    const h = new Histogram({ name: 'd_seconds', help: 'h', labelNames: ['op'], buckets: [0.1, 0.01, 1], registers: [r] });
    for (const v of [0.005, 0.05, 0.5, 5]) h.observe({ op: 'get' }, v);
    const lines = (await r.metrics()).split('\n').filter((l) => !l.startsWith('#') && l);
    expect(lines).toEqual([
      'd_seconds_bucket{le="0.01",op="get"} 1',
      'd_seconds_bucket{le="0.1",op="get"} 2',
      'd_seconds_bucket{le="1",op="get"} 3',
      'd_seconds_bucket{le="+Inf",op="get"} 4',
      'd_seconds_sum{op="get"} 5.555',
      'd_seconds_count{op="get"} 4',
    ]);
  });

  it('refuses a second metric of the same name in one registry', () => {
    const r = new Registry();
    new Counter({ name: 'c_total', help: 'h', registers: [r] });
    expect(() => new Counter({ name: 'c_total', help: 'h', registers: [r] })).toThrow(/already registered/);
  });

  it('process metrics carry the prefix and read real values at scrape time', async () => {
    const r = new Registry();
    registerProcessMetrics(r, 'esi_agent_');
    const text = await r.metrics();
    for (const name of ['process_cpu_seconds_total', 'process_start_time_seconds', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_heap_size_used_bytes', 'nodejs_version_info']) {
      expect(text).toContain(`# TYPE esi_agent_${name} `);
    }
    const rss = (await r.getSingleMetric('esi_agent_process_resident_memory_bytes')!.get()).values[0]!.value;
    expect(rss).toBeGreaterThan(1024 * 1024);
    expect(text).toContain(`esi_agent_nodejs_version_info{version="${process.version}",`);
    const start = (await r.getSingleMetric('esi_agent_process_start_time_seconds')!.get()).values[0]!.value;
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
  });
});
