/**
 * The standard process metrics (names as Prometheus client libraries export them, see
 * https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics), read at scrape time
 * from Node and /proc. No event-loop-lag or GC collectors: those keep a timer or an observer running
 * in a process that is otherwise idle between refreshes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Collected, type MetricValue, type Registry } from './prometheus.ts';

function procStatus(): Record<string, number> {
  try {
    const out: Record<string, number> = {};
    for (const m of readFileSync('/proc/self/status', 'utf8').matchAll(/^(VmRSS|VmSize|VmData):\s+(\d+) kB$/gm)) out[m[1]!] = Number(m[2]) * 1024;
    return out;
  } catch {
    return {}; // not Linux
  }
}

function openFds(): MetricValue[] {
  try {
    return [{ value: readdirSync('/proc/self/fd').length - 1, labels: {} }]; // minus the one readdir holds
  } catch {
    return [];
  }
}

function maxFds(): MetricValue[] {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? [{ value: Number(m[1]), labels: {} }] : [];
  } catch {
    return [];
  }
}

const one = (value: number | undefined): MetricValue[] => (value === undefined ? [] : [{ value, labels: {} }]);

/** Registers the process metrics under `prefix` (e.g. `esi_agent_process_cpu_seconds_total`). */
export function registerProcessMetrics(registry: Registry, prefix: string): void {
  const startTime = Math.round(Date.now() / 1000 - process.uptime());
  const [major, minor, patch] = process.versions.node.split('.').map(Number);
  const metrics: [string, string, 'counter' | 'gauge', () => MetricValue[]][] = [
    ['process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', 'counter', () => one(process.cpuUsage().user / 1e6)],
    ['process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', 'counter', () => one(process.cpuUsage().system / 1e6)],
    ['process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', () => {
      const c = process.cpuUsage();
      return one((c.user + c.system) / 1e6);
    }],
    ['process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', () => one(startTime)],
    ['process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', () => one(procStatus()['VmRSS'] ?? process.memoryUsage.rss())],
    ['process_virtual_memory_bytes', 'Virtual memory size in bytes.', 'gauge', () => one(procStatus()['VmSize'])],
    ['process_heap_bytes', 'Process heap size in bytes.', 'gauge', () => one(procStatus()['VmData'])],
    ['process_open_fds', 'Number of open file descriptors.', 'gauge', openFds],
    ['process_max_fds', 'Maximum number of open file descriptors.', 'gauge', maxFds],
    ['nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', 'gauge', () => one(process.memoryUsage().heapTotal)],
    ['nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', 'gauge', () => one(process.memoryUsage().heapUsed)],
    ['nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', 'gauge', () => one(process.memoryUsage().external)],
    ['nodejs_version_info', 'Node.js version info.', 'gauge', () => [{ value: 1, labels: { version: process.version, major: major!, minor: minor!, patch: patch! } }]],
  ];
  for (const [name, help, type, read] of metrics) registry.register(new Collected(`${prefix}${name}`, help, type, read));
}
