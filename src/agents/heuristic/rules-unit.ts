/**
 * Rules over the unit's state, the checks and the attempts so far: how the process ended (signal, OOM, exit code,
 * start limit), whether it hangs while systemd thinks it runs, and whether restarting has already been tried enough.
 */
import type { AgentContext } from '../agent.js';
import { escalation, evidenceLines, failedAttempts, findingsFor, restartOptions, unitActive, type EvidenceKind, type Finding, type Rule } from './finding.js';

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};
/** Signals that mean the program itself crashed: a restart helps, but a repeat is a bug for a human. */
const CRASH_SIGNALS = new Set([4, 6, 7, 8, 11]);
/** systemd's own journal line for a killed main process, e.g. "Main process exited, code=killed, status=9/KILL". */
const SYSTEMD_KILLED = /Main process exited, code=(killed|dumped), status=(\d+)/i;
const OOM_LOG = /Out of memory|oom-kill|oom_kill|OOM killer|Killed process \d+|Cannot allocate memory/i;

/** How many times restarting or starting the task's own unit has already failed. */
export function failedRestarts(context: AgentContext): number {
  const unit = context.service.unit;
  return failedAttempts(context, { type: 'restart_unit', params: { unit } }) + failedAttempts(context, { type: 'start_unit', params: { unit } });
}

/** The unit was killed by a signal (SIGKILL, SIGSEGV, SIGABRT...): restart it, with less confidence for crashes. */
const killedBySignal: Rule = {
  id: 'killed_by_signal',
  summary: 'unit result signal/core-dump or a killed main process: restart',
  evaluate(context) {
    const evidence: EvidenceKind[] = [];
    let signal: number | undefined;
    const unit = context.unit;
    if (unit && (unit.result === 'signal' || unit.result === 'core-dump' || unit.execMainCode === 'killed' || unit.execMainCode === 'dumped')) {
      evidence.push('unit');
      signal = unit.execMainStatus > 0 ? unit.execMainStatus : undefined;
    }
    const logged = context.logs.map((line) => SYSTEMD_KILLED.exec(line)).find((match) => match !== null);
    if (logged) {
      if (!evidence.includes('unit')) evidence.push('unit');
      signal ??= Number(logged[2]);
    }
    if (evidence.length === 0 || unitActive(context)) return [];
    const name = signal !== undefined ? (SIGNALS[signal] ?? `signal ${signal}`) : 'a signal';
    const crash = (signal !== undefined && CRASH_SIGNALS.has(signal)) || unit?.result === 'core-dump';
    const base = {
      rule: 'killed_by_signal',
      symptomClass: crash ? 'crashed' : 'killed_by_signal',
      diagnosis: `${context.service.unit} was killed by ${name}${crash ? ' (the program crashed)' : ''}`,
      rationale: crash
        ? `A crash signal usually means a bug or corrupt input; a restart restores service, but escalate if it crashes again.`
        : `A process killed from outside (${name}) has no reason to fail again on start; restart it.`,
      perspectives: ['systems' as const],
      evidence,
    };
    return findingsFor(context, base, restartOptions(context, crash ? 0.55 : 0.7), {
      confidence: 0.6,
      reason: `${context.service.unit} was killed by ${name} and cannot be restarted from this catalog`,
    });
  },
};

/** The kernel's OOM killer ended the unit: a restart frees memory, but a recurrence needs a human to size it. */
const outOfMemory: Rule = {
  id: 'out_of_memory',
  summary: 'result oom-kill, OOM log lines or memory pressure: restart with low confidence',
  evaluate(context) {
    const evidence: EvidenceKind[] = [];
    if (context.unit?.result === 'oom-kill') evidence.push('unit');
    const { lines } = evidenceLines(context, OOM_LOG, ['out_of_memory']);
    if (lines.length > 0) evidence.push('logs');
    if (context.task.symptom === 'memory_pressure') evidence.push('checks');
    if (evidence.length === 0) return [];
    const base = {
      rule: 'out_of_memory',
      symptomClass: 'out_of_memory',
      diagnosis: `${context.service.unit} ran out of memory${lines[0] ? `: ${lines[0].trim().slice(0, 120)}` : ' (OOM kill)'}`,
      rationale: 'A restart frees the memory and usually brings the service back, but the cause (a leak, a too small limit) remains: escalate if it recurs.',
      perspectives: ['systems' as const],
      evidence,
    };
    return findingsFor(context, base, restartOptions(context, 0.45), { confidence: 0.7, reason: `${context.service.unit} is out of memory; a human must size its memory` });
  },
};

/** The unit exited with an error code and nothing more specific is known: one plain restart is the generic fix. */
const exitedWithError: Rule = {
  id: 'exited_with_error',
  summary: 'unit failed (exit-code, timeout) or inactive: restart while restarts have not failed twice',
  evaluate(context) {
    const unit = context.unit;
    const down = unit ? !unitActive(context) && ['failed', 'inactive'].includes(unit.activeState) : ['unit_failed', 'unit_inactive'].includes(context.task.symptom);
    if (!down || ['signal', 'core-dump', 'oom-kill', 'start-limit-hit'].includes(unit?.result ?? '') || failedRestarts(context) >= 2) return [];
    const how =
      unit?.result === 'exit-code' ? `exited with status ${unit.execMainStatus}` : unit?.result && unit.result !== 'success' ? `failed (${unit.result})` : 'is not running';
    const base = {
      rule: 'exited_with_error',
      symptomClass: unit?.result === 'exit-code' ? 'exit_code' : 'unit_down',
      diagnosis: `${context.service.unit} ${how}`,
      rationale: 'The unit is down and its state names no specific cause; a restart is the cheapest generic remedy.',
      perspectives: ['systems' as const],
      evidence: ['unit' as const],
    };
    return findingsFor(context, base, restartOptions(context, unit?.result === 'exit-code' ? 0.5 : 0.45), {
      confidence: 0.6,
      reason: `${context.service.unit} is down and cannot be restarted from this catalog`,
    });
  },
};

/** Restarting has already failed at least twice in this task: a third restart would only hide the problem. */
const restartsExhausted: Rule = {
  id: 'restarts_exhausted',
  summary: 'restart/start of the unit already failed twice: escalate',
  evaluate(context) {
    const failures = failedRestarts(context);
    if (failures < 2) return [];
    const reason = `restarting ${context.service.unit} already failed ${failures} times in this task; a human must find the cause`;
    return [
      {
        rule: 'restarts_exhausted',
        symptomClass: context.unit?.result === 'exit-code' ? 'exit_code_repeated' : 'restart_failed_repeatedly',
        diagnosis: `${context.service.unit} keeps failing after ${failures} restarts`,
        action: escalation(reason),
        // A fallback, not a diagnosis: below phase 2's default threshold, so the recovery ladder still runs.
        confidence: context.unit?.result === 'exit-code' ? 0.55 : 0.5,
        rationale: 'Repeated failed restarts mean the cause is persistent (configuration, data, environment); more restarts only add noise.',
        perspectives: ['systems', 'application', 'dependencies'],
        evidence: ['attempts'],
      },
    ];
  },
};

/** systemd refuses to start the unit again (start-limit-hit) until its failed state is reset. */
const startLimitHit: Rule = {
  id: 'start_limit_hit',
  summary: 'result start-limit-hit: reset_failed so that a start is allowed again',
  evaluate(context) {
    const logged = context.logs.some((line) => /Start request repeated too quickly|start-limit-hit/i.test(line));
    if (context.unit?.result !== 'start-limit-hit' && !logged) return [];
    const unit = context.service.unit;
    const base = {
      rule: 'start_limit_hit',
      symptomClass: 'start_limit_hit',
      diagnosis: `${unit} hit its start rate limit; systemd refuses further starts until it is reset`,
      rationale: 'reset-failed clears the start limit counter; the next step (a start) can then succeed.',
      perspectives: ['systems' as const],
      evidence: [...(context.unit?.result === 'start-limit-hit' ? ['unit' as const] : []), ...(logged ? ['logs' as const] : [])],
    };
    return findingsFor(context, base, [{ action: { type: 'reset_failed', params: { unit } }, confidence: 0.7 }], {
      confidence: 0.65,
      reason: `${unit} hit its start limit and reset_failed is not available`,
    });
  },
};

/** The service stops answering while systemd says it runs: it hangs, so kill its process tree (or restart). */
const hungProcess: Rule = {
  id: 'hung_process',
  summary: 'http/tcp timeout while the unit is active: kill_process_tree, else restart; stopped process: resume',
  evaluate(context) {
    if (!unitActive(context) || (context.unit && context.unit.subState !== 'running')) return [];
    const timedOut = ['http_timeout', 'tcp_timeout'].includes(context.task.symptom);
    if (!timedOut) return [];
    const unit = context.service.unit;
    const stopped = [...context.findings, ...context.checks.map((check) => check.message)].some((text) => /SIGSTOP|\bstate T\b|\(stopped\)|process is stopped/i.test(text));
    const findings: Finding[] = [];
    const base = {
      rule: 'hung_process',
      symptomClass: stopped ? 'process_stopped' : 'hung_process',
      diagnosis: `${unit} is ${stopped ? 'stopped (SIGSTOP)' : 'active but does not answer'}: ${context.task.message}`,
      rationale: stopped
        ? 'The process is suspended; resuming it is gentler than killing it.'
        : 'A process that runs but does not answer is hung; killing its process tree lets systemd restart it cleanly.',
      perspectives: ['systems' as const],
      evidence: ['checks' as const, 'unit' as const],
    };
    const options = [
      ...(stopped ? [{ action: { type: 'resume_process', params: { unit } }, confidence: 0.7 }] : []),
      { action: { type: 'kill_process_tree', params: { unit } }, confidence: 0.6 },
      ...restartOptions(context, 0.5),
    ];
    findings.push(...findingsFor(context, base, options, { confidence: 0.6, reason: `${unit} hangs and neither kill_process_tree nor a restart is available` }));
    return findings;
  },
};

/** Unit-state rules, most specific first. */
export const UNIT_RULES: readonly Rule[] = [killedBySignal, outOfMemory, startLimitHit, hungProcess, restartsExhausted, exitedWithError];
