/**
 * The heuristic agent's rule table: every diagnostic rule, each a small pure function over the AgentContext that
 * returns zero or more candidate findings. The agent (heuristic-agent.ts) calibrates and ranks them.
 *
 * | rule                 | evidence                                                        | action (first admissible)                         |
 * |----------------------|-----------------------------------------------------------------|---------------------------------------------------|
 * | killed_by_signal     | result signal/core-dump, "code=killed, status=9"                | restart_unit (crash signals: lower confidence)    |
 * | out_of_memory        | result oom-kill, "Out of memory", "Killed process", memory check | restart_unit, low; escalate if it recurs          |
 * | start_limit_hit      | result start-limit-hit                                          | reset_failed                                      |
 * | hung_process         | http/tcp timeout while active/running                           | resume_process (stopped), kill_process_tree, restart |
 * | restarts_exhausted   | restart/start failed >= 2 times in this task                    | escalate                                          |
 * | exited_with_error    | unit failed (exit-code...) or inactive                          | restart_unit                                      |
 * | address_in_use       | EADDRINUSE, bind() failed (98); probes: who listens on the port | kill_stray_listener of a known or probed stray, else escalate |
 * | no_space             | ENOSPC, No space left on device, disk check                     | clean_directory the catalog offers, else escalate |
 * | permission_denied    | EACCES, Permission denied; probes: owner and mode of the path   | escalate (naming owner and mode when probed)      |
 * | dependency_refused   | ECONNREFUSED, connection refused, HTTP 503                      | restart_dependency (named in the line, else first) |
 * | config_syntax        | syntax error, unknown directive, config test failed             | restore_config, else escalate                     |
 * | too_many_open_files  | EMFILE, Too many open files                                     | restart_unit, low; escalate advised               |
 * | stale_runtime_file   | pid/lock file exists, stale, already running (unit down)        | remove_stale_file of a runtime file               |
 * | profile_signature    | other known profile signatures                                  | restart (worker exhaustion) or escalate with hint |
 */
import type { AgentContext } from '../agent.js';
import { NO_FACTS, type Finding, type ProbeFacts, type Rule } from './finding.js';
import { UNIT_RULES } from './rules-unit.js';
import { LOG_RULES } from './rules-logs.js';
import { STATE_RULES } from './rules-state.js';

export type { Finding, Rule } from './finding.js';

/** Every rule, unit-state rules first: order only breaks ties between equally scored findings. */
export const RULES: readonly Rule[] = [...UNIT_RULES, ...LOG_RULES, ...STATE_RULES];

/** Runs every rule over the context (and what the agent's probes found). A rule that throws is a bug; it is reported in `errors` so one broken rule cannot silence the others. */
export function runRules(context: AgentContext, rules: readonly Rule[] = RULES, facts: ProbeFacts = NO_FACTS): { findings: Finding[]; errors: string[] } {
  const findings: Finding[] = [];
  const errors: string[] = [];
  for (const rule of rules) {
    try {
      findings.push(...rule.evaluate(context, facts));
    } catch (error) {
      errors.push(`${rule.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { findings, errors };
}
