/**
 * What an on-call engineer concludes first when a service will not come back: how its process ends, because of
 * what, and which change since it was last known good caused it. Pure over the task's evidence, so the headline
 * of an escalation, the futile-restart gate and the cause-aimed fixes of phase 1 all read the same conclusion.
 */
import type { Evidence, Plan } from '../core/types.js';
import type { DriftChange, DriftReport } from './drift.js';

export type { Block } from '../core/drift-report.js';
import type { Block } from '../core/drift-report.js';

export interface Diagnosis {
  /** The escalation's headline in an engineer's words. */
  headline: string;
  /** A restart cannot help while this holds: restarts and starts of the unit alone are not spent on it. */
  restartFutile: boolean;
  /** The drift that explains it (shown under the headline). */
  causes: DriftChange[];
  /** The one command a human would most likely run. */
  command?: string;
  /** A plan aimed at the cause, when there is one the catalog can do. */
  remedy?: Plan;
  /** Whether phase 1 may use the remedy: the drift is the only change since the service was last healthy. */
  remedyInPhase1: boolean;
  block?: Block;
  /** It fails for want of space: the path its error names, whose filesystem the allow-listed cleanup may free. */
  fullPath?: string;
}

export interface DiagnosisInputs {
  unit: string;
  evidence: Evidence;
  /** A process listening on a port of the service that no managed service owns (the listener probe). */
  strayListener?: { port: number; pid: number; command: string };
  /** The config test failed with this output. */
  configTestFailure?: string;
}

const PERMISSION = /permission denied|EACCES|operation not permitted|EPERM|has invalid permissions|has wrong ownership/i;
const TOO_MANY_FILES = /too many open files|EMFILE/i;
const ADDRESS_IN_USE = /address already in use|EADDRINUSE|bind\(\).*failed \(98/i;
const NO_SPACE = /no space left on device|ENOSPC/i;
const MISSING_VARIABLE = /\b([A-Z][A-Z0-9_]{2,})\b[^\n]{0,60}?\b(?:is not set|not set|unset|is required|missing|undefined|unbound variable)|KeyError: '([A-Z][A-Z0-9_]{2,})'/;

/** systemd's exit statuses of a process that never ran its program: a restart runs into the same wall. */
const SPAWN_STATUSES: Record<number, string> = { 200: 'CHDIR', 203: 'EXEC', 216: 'GROUP', 217: 'USER', 226: 'NAMESPACE', 227: 'NO_NEW_PRIVILEGES', 237: 'KEYRING' };

export function diagnose(inputs: DiagnosisInputs): Diagnosis | undefined {
  const { unit, evidence } = inputs;
  const drift = evidence.drift;
  const changes = drift?.changes ?? [];
  const onlyChange = drift !== undefined && drift.knownGoodAt !== null && drift.packages.length === 0 && drift.modified.length === 0;
  const logs = evidence.logs.join('\n');
  const status = evidence.unit?.execMainStatus ?? 0;
  const exited = evidence.unit && evidence.unit.result !== 'success' ? exitWords(evidence.unit) : 'fails';
  const definitionChanges = changes.filter(
    (change) =>
      change.kind === 'drop-in' ||
      change.kind === 'unit-file' ||
      change.kind === 'environment' ||
      change.kind === 'limit' ||
      change.kind === 'user' ||
      change.kind === 'program' ||
      change.kind === 'working-directory',
  );
  // A restore, then start: reset-failed between, as a unit that hit its start limit meanwhile refuses a plain start
  // (left out where the adapter has no reset).
  const restoreThenStart =
    (type: 'restore_unit_definition' | 'restore_permissions') =>
    (reason: string): Plan => ({
      actions: [
        { type, params: { unit } },
        { type: 'reset_failed', params: { unit } },
        { type: 'start_unit', params: { unit } },
      ],
      source: 'profile',
      reason,
    });
  const restoreDefinition = restoreThenStart('restore_unit_definition');
  const restorePermissions = restoreThenStart('restore_permissions');
  const since = (list: readonly DriftChange[]) =>
    list.length > 0 ? `, since ${list.map((change) => (change.at ? `${change.summary} (at ${new Date(change.at).toISOString()})` : change.summary)).join('; ')}` : '';

  const spawn = SPAWN_STATUSES[status];
  const programFact = drift?.facts.find((fact) => fact.startsWith('the program '));
  const directoryFact = drift?.facts.find((fact) => fact.startsWith('the working directory '));
  const userFact = drift?.facts.find((fact) => fact.startsWith('the user '));
  // What is missing now stops the next start as surely as the exit status of the last one would say.
  if (spawn || programFact || directoryFact || userFact) {
    const fact = (spawn === 'USER' ? userFact : spawn === 'CHDIR' ? directoryFact : programFact) ?? programFact ?? directoryFact ?? userFact;
    // A directory it cannot enter (200/CHDIR) or a program it may no longer run (203/EXEC) after a chown or chmod.
    const ownership = changes.filter((change) => change.kind === 'owner' || change.kind === 'mode');
    const related = definitionChanges.length > 0 ? definitionChanges : ownership.length > 0 ? ownership : changes.filter((change) => change.kind === 'missing');
    const path = /(?:program|directory) (\S+)/.exec(fact ?? '')?.[1];
    const headline = `${unit} ${spawn ? `fails before its program runs (status ${status}/${spawn})` : exited}${fact ? `: ${fact}` : ''}${since(related)}`;
    const user = /^the user (\S+) \(User=\)/.exec(fact ?? '')?.[1];
    const spawnBlock = (): Block | undefined => {
      if (definitionChanges.length > 0 || ownership.length > 0) return undefined;
      if (path) return fact === directoryFact ? { kind: 'path', path } : { kind: 'program', path };
      return user ? { kind: 'user', user } : { kind: 'cause', what: headline };
    };
    const removedPackage = drift?.packages.find((event) => event.action === 'remove' || event.action === 'purge');
    return {
      headline: removedPackage ? `${headline}; package ${removedPackage.package} was ${event(removedPackage.action)} at ${new Date(removedPackage.at).toISOString()}` : headline,
      restartFutile: true,
      causes: related,
      command: definitionChanges.length > 0 ? `systemctl cat ${unit}` : path ? `ls -l ${path}` : `systemctl status ${unit}`,
      remedy:
        definitionChanges.length > 0
          ? restoreDefinition(`${unit}'s definition drifted from its last-known-good state${since(definitionChanges)}: restore it, then start`)
          : ownership.length > 0 && !programFact
            ? restorePermissions(`owner or mode of ${unit}'s own paths changed${since(ownership)}: put back their last-known-good values, then start`)
            : undefined,
      remedyInPhase1: onlyChange && (definitionChanges.length > 0 || (ownership.length > 0 && !programFact)),
      block: spawnBlock(),
    };
  }

  if (inputs.configTestFailure !== undefined) {
    const related = changes.filter((change) => change.kind !== 'owner' && change.kind !== 'mode');
    return {
      headline: `${unit} will not start: its config test fails: ${firstLine(inputs.configTestFailure)}${since(related)}`,
      restartFutile: true,
      causes: related,
      command: `the config test, then systemctl start ${unit}`,
      remedyInPhase1: false,
      block: { kind: 'config-test' },
    };
  }

  const permissionLine = firstMatch(evidence.logs, PERMISSION);
  const ownership = changes.filter((change) => change.kind === 'owner' || change.kind === 'mode');
  if (permissionLine) {
    return {
      headline: `${unit} ${exited}: permission denied (${permissionLine})${ownership.length > 0 ? since(ownership) : '; nothing in its last-known-good state explains it'}`,
      restartFutile: true,
      causes: ownership,
      command: ownership[0]?.path ? `ls -ld ${ownership[0].path}` : `journalctl -u ${unit} -n 50`,
      remedy:
        ownership.length > 0 ? restorePermissions(`owner or mode of ${unit}'s own paths changed${since(ownership)}: put back their last-known-good values, then start`) : undefined,
      remedyInPhase1: onlyChange && ownership.length > 0,
      block: ownership.length > 0 ? undefined : { kind: 'cause', what: 'permission denied' },
    };
  }

  const variable = MISSING_VARIABLE.exec(logs);
  const name = variable?.[1] ?? variable?.[2];
  const environment = changes.filter((change) => change.kind === 'environment' || change.kind === 'drop-in' || change.kind === 'unit-file');
  const removed = name ? environment.filter((change) => (change.lines ?? []).some((line) => line.includes(name)) || change.summary.includes(name)) : [];
  if (name && (removed.length > 0 || environment.length > 0)) {
    const related = removed.length > 0 ? removed : environment;
    return {
      headline: `${unit} ${exited}: the variable ${name} it needs is not set${since(related)}`,
      restartFutile: true,
      causes: related,
      command: `systemctl show -p Environment,EnvironmentFiles ${unit}`,
      remedy: restoreDefinition(`${name} went missing from ${unit}'s environment${since(related)}: restore the last-known-good definition, then start`),
      remedyInPhase1: onlyChange,
    };
  }

  // No change explains it, but the process exited saying so just before: the same start fails the same way.
  const lastWords = evidence.logs.slice(-5).join('\n');
  const lastVariable = MISSING_VARIABLE.exec(lastWords);
  const missing = lastVariable?.[1] ?? lastVariable?.[2];
  if (missing && evidence.unit?.result === 'exit-code') {
    return {
      headline: `${unit} ${exited}: the variable ${missing} it needs is not set; nothing in its last-known-good state explains it`,
      restartFutile: true,
      causes: [],
      command: `systemctl show -p Environment,EnvironmentFiles ${unit}`,
      remedyInPhase1: false,
      block: { kind: 'cause', what: `the variable ${missing} is not set` },
    };
  }

  const limits = changes.filter((change) => change.kind === 'limit' && change.summary.startsWith('LimitNOFILE'));
  if (TOO_MANY_FILES.test(logs) && limits.length > 0) {
    return {
      headline: `${unit} ${exited}: too many open files${since(limits)}`,
      restartFutile: true,
      causes: limits,
      command: `systemctl show -p LimitNOFILE ${unit}`,
      remedy: restoreDefinition(`${unit}'s file-descriptor limit was lowered${since(limits)}: restore the last-known-good definition, then start`),
      remedyInPhase1: onlyChange,
    };
  }

  // Its port held by a stray while it is down: it cannot bind it, whatever its logs have said so far.
  if (inputs.strayListener && (ADDRESS_IN_USE.test(logs) || (evidence.unit !== undefined && evidence.unit.state !== 'running' && evidence.unit.state !== 'starting'))) {
    const { port, pid, command } = inputs.strayListener;
    return {
      headline: `${unit} ${exited}: port ${port} is held by pid ${pid} (${command}), which no managed service owns`,
      restartFutile: true,
      causes: [],
      command: `ss -ltnp 'sport = :${port}'`,
      remedy: {
        actions: [
          { type: 'kill_stray_listener', params: { port, pid } },
          { type: 'reset_failed', params: { unit } },
          { type: 'start_unit', params: { unit } },
        ],
        source: 'profile',
        reason: `port ${port} of ${unit} is held by a stray process, pid ${pid} (${command}): free it, then start`,
      },
      remedyInPhase1: true,
    };
  }

  if (NO_SPACE.test(logs)) {
    const line = firstMatch(evidence.logs, NO_SPACE) ?? '';
    const fullPath = /(\/[^\s'",:;()]+)/.exec(line)?.[1];
    return {
      headline: `${unit} ${exited}: no space left on its filesystem (${line})`,
      restartFutile: true,
      causes: [],
      command: fullPath ? `df -h ${fullPath.replace(/\/[^/]*$/, '') || '/'}` : 'df -h',
      remedyInPhase1: false,
      fullPath,
    };
  }

  if (definitionChanges.length > 0 && evidence.unit && evidence.unit.state !== 'running') {
    // It exited on its own and its definition is the only thing that changed since it was healthy: the prime suspect.
    const startFailure = onlyChange && evidence.unit.result === 'exit-code';
    return {
      headline: `${unit} ${exited}${since(definitionChanges)}`,
      restartFutile: startFailure,
      causes: definitionChanges,
      command: `systemctl cat ${unit}`,
      remedy: restoreDefinition(`${unit}'s definition drifted from its last-known-good state${since(definitionChanges)}: restore it, then start`),
      remedyInPhase1: startFailure,
    };
  }

  const ownershipOnly = changes.filter((change) => change.kind === 'owner' || change.kind === 'mode');
  if (ownershipOnly.length > 0 && evidence.unit && evidence.unit.state !== 'running') {
    // It exited on its own, and the only change since it was healthy is the owner or mode of its own files (a
    // restore from backup as root, a chown -R): that is why, whatever its own log (often a file, not the journal) says.
    // Killed instead (kill -9, OOM): a restart may help, but it would start on the changed files; the known-good
    // owner and mode of its own paths go back first either way.
    const startFailure = onlyChange && evidence.unit.result === 'exit-code';
    return {
      headline: `${unit} ${exited}${since(ownershipOnly)}`,
      restartFutile: startFailure,
      causes: ownershipOnly,
      command: `ls -ld ${ownershipOnly[0]!.path ?? ''}`.trim(),
      remedy: restorePermissions(`owner or mode of ${unit}'s own paths changed${since(ownershipOnly)}: put back their last-known-good values, then start`),
      remedyInPhase1: onlyChange,
    };
  }
  return undefined;
}

function exitWords(unit: NonNullable<Evidence['unit']>): string {
  if (unit.execMainCode === 'killed' || unit.result === 'signal') return `is killed by signal ${unit.execMainStatus}`;
  if (unit.result === 'exit-code' || unit.execMainCode === 'exited') return `exits with status ${unit.execMainStatus}`;
  return unit.result ? `fails (${unit.result})` : 'fails';
}

function event(action: string): string {
  return action === 'remove' ? 'removed' : action === 'purge' ? 'purged' : `${action}d`;
}

function firstMatch(lines: readonly string[], pattern: RegExp): string | undefined {
  const line = lines.find((candidate) => pattern.test(candidate));
  return line === undefined ? undefined : line.trim().slice(0, 200);
}

function firstLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.slice(0, 200) ?? ''
  );
}

export type { DriftReport };
