/** HTTP, TCP, command and log checks: each turns one probe into a CheckResult. */
import type { CompiledCheck } from '../config/compiled.js';
import type { CommandRunner, Probes, ServiceAdapter } from '../core/ports.js';
import type { CheckResult } from '../core/types.js';
import { compileLogPattern } from '../core/log-pattern.js';

export interface ProbeCheckContext {
  unit: string;
  probes: Probes;
  runner: CommandRunner;
  adapter: ServiceAdapter;
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** During verification, log checks only look at lines newer than this (since the action). */
  logSinceMs?: number;
}

type ProbeCheck = Exclude<CompiledCheck, { type: 'unit' }>;

export async function runProbeCheck(check: ProbeCheck, context: ProbeCheckContext): Promise<CheckResult> {
  const base = { checkId: check.id, type: check.type };
  switch (check.type) {
    case 'http': {
      const result = await context.probes.http(check.url, { timeoutMs: check.timeoutMs, method: check.method, signal: context.signal });
      if (!result.ok) {
        return result.timedOut
          ? { ...base, ok: false, symptom: 'http_timeout', message: `${check.url}: ${result.error}` }
          : { ...base, ok: false, symptom: 'http_error', detail: result.error, message: `${check.url}: ${result.error}` };
      }
      return result.status === check.expectStatus
        ? { ...base, ok: true, message: `${check.url}: ${result.status} in ${Math.round(result.durationMs)} ms` }
        : { ...base, ok: false, symptom: 'http_status', detail: String(result.status), message: `${check.url}: status ${result.status}, expected ${check.expectStatus}` };
    }
    case 'tcp': {
      const result = await context.probes.tcp(check.host, check.port, { timeoutMs: check.timeoutMs, signal: context.signal });
      const address = `${check.host}:${check.port}`;
      if (result.ok) return { ...base, ok: true, message: `${address} accepts connections` };
      return { ...base, ok: false, symptom: result.timedOut ? 'tcp_timeout' : 'tcp_refused', detail: result.error, message: `${address}: ${result.error}` };
    }
    case 'command': {
      const result = await context.runner.run(check.argv, { timeoutMs: check.timeoutMs, signal: context.signal, maxOutputBytes: context.maxOutputBytes });
      const name = check.argv.join(' ');
      if (result.timedOut) return { ...base, ok: false, symptom: 'command_timeout', message: `${name}: no result within ${check.timeoutMs} ms` };
      if (result.spawnError) return { ...base, ok: false, symptom: 'command_failed', detail: 'spawn', message: `${name}: could not run (${result.spawnError})` };
      if (result.exitCode === check.expectExit) return { ...base, ok: true, message: `${name}: exit ${result.exitCode}` };
      const output = (result.stderr || result.stdout).trim().split('\n').slice(-1)[0] ?? '';
      return {
        ...base,
        ok: false,
        symptom: 'command_failed',
        detail: `exit-${result.exitCode ?? result.signal}`,
        message: `${name}: exit ${result.exitCode ?? result.signal}, expected ${check.expectExit}${output ? `: ${output.slice(0, 200)}` : ''}`,
      };
    }
    case 'log': {
      const sinceMs = Math.min(check.windowMs, context.logSinceMs ?? check.windowMs);
      const lines = await context.adapter.logs(context.unit, { lines: 1000, sinceMs }, context.signal);
      const pattern = compileLogPattern(check.pattern);
      const matches = lines.filter((line) => pattern.test(line));
      if (matches.length < check.threshold) return { ...base, ok: true, message: `/${check.pattern}/: ${matches.length} match(es) in the window` };
      return {
        ...base,
        ok: false,
        symptom: 'log_pattern',
        message: `/${check.pattern}/ matched ${matches.length} time(s) in the last ${Math.round(check.windowMs / 1000)} s: ${matches.at(-1)?.slice(0, 200)}`,
      };
    }
  }
}
