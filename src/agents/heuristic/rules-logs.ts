/**
 * Rules over the unit's log lines (and the profile's known signatures that matched them): each recognises one
 * failure class by fixed patterns and maps it to the remedy an operator would pick, or to escalation when no safe
 * catalog action fixes it. Nothing in a log line can choose the action type; at most it picks among known targets.
 */
import type { AgentContext } from '../agent.js';
import { absolutePaths, catalogPaths } from './paths.js';
import { evidenceLines, findingsFor, hintsFor, quote, restartOptions, type EvidenceKind, type Option, type Rule } from './finding.js';
import type { PathFact } from '../../investigation/tool.js';
import { profileForUnit } from '../../profiles/catalog.js';

const ADDRESS_IN_USE = /EADDRINUSE|Address already in use|bind\(\).*failed \(98/i;
const NO_SPACE = /ENOSPC|No space left on device|\(28: No space/i;
const PERMISSION = /EACCES|Permission denied|\(13: Permission denied\)/i;
const REFUSED = /ECONNREFUSED|connection refused|dependency unavailable|\(111: Connection refused\)/i;
const CONFIG = /syntax error|unknown directive|FATAL CONFIG FILE ERROR|\bconfig(uration)?\b.*\berror|\berror\b.*\bin (the )?config(uration)? file/i;
const OPEN_FILES = /EMFILE|Too many open files|\(24: Too many open files\)/i;

/** The port a bind error names: "0.0.0.0:80", "[::]:443", "*:6379" or "port 5432". */
export function portOf(line: string): number | undefined {
  const match = /(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]*\]|\*|localhost):(\d{1,5})\b/.exec(line) ?? /\bport (\d{1,5})\b/i.exec(line);
  const port = match ? Number(match[1]) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** A listener holding a port, as earlier phases report it (`ss -ltnp`: users:(("apache2",pid=812,...)) on *:80). */
function listenerFrom(context: AgentContext, port: number | undefined): { port: number; pid: number } | undefined {
  for (const text of [...context.findings, ...context.checks.map((check) => check.message)]) {
    const pid = /\bpid[= ](\d+)\b/i.exec(text) ?? /\bprocess (\d+)\b/i.exec(text);
    const held = portOf(text);
    if (!pid || held === undefined || (port !== undefined && held !== port)) continue;
    const value = Number(pid[1]);
    if (value >= 2) return { port: held, pid: value };
  }
  return undefined;
}

/** The evidence of an address-in-use failure: its log lines, the port they name, and a listener earlier phases reported. */
function addressInUseEvidence(context: AgentContext) {
  const { lines } = evidenceLines(context, ADDRESS_IN_USE, ['address_in_use']);
  const port = lines.map(portOf).find((value) => value !== undefined);
  return { lines, port, listener: lines.length > 0 ? listenerFrom(context, port) : undefined };
}

/**
 * Another process holds the service's port: kill that listener when an earlier phase identified it, or when the
 * listeners probe finds a stray on it (preferred over one a unit or a managed service owns, which is escalated).
 * When the probe finds the port free now, whatever held it is gone and a restart is worth a try.
 */
const addressInUse: Rule = {
  id: 'address_in_use',
  summary: 'EADDRINUSE / bind() failed (98): kill_stray_listener with a known or probed stray, else escalate',
  wants(context) {
    const { lines, port, listener } = addressInUseEvidence(context);
    return lines.length > 0 && port !== undefined && !listener ? [{ tool: 'listeners', input: { port } }] : [];
  },
  evaluate(context, facts) {
    const { lines, port, listener } = addressInUseEvidence(context);
    if (lines.length === 0) return [];
    const where = port !== undefined ? `port ${port}` : 'its port';
    const probed = !listener && port !== undefined && facts.probedPorts.includes(port);
    const holders = probed ? facts.listeners.filter((fact) => fact.port === port) : [];
    const stray = holders.find((fact) => fact.owner === undefined);
    const owned = holders.filter((fact) => fact.owner !== undefined);
    const base = {
      rule: 'address_in_use',
      symptomClass: 'address_in_use',
      diagnosis: `${context.service.unit} cannot bind ${where}: another process holds it (${quote(lines[0]!)})`,
      rationale: `Restarting cannot help while the port is taken.${hintsFor(context, ['address_in_use'])}`,
      perspectives: ['systems' as const, 'application' as const],
      evidence: (listener ? ['logs', 'findings'] : probed ? ['logs', 'probes'] : ['logs']) as EvidenceKind[],
    };
    const options: Option[] = [];
    if (listener) {
      options.push({
        action: { type: 'kill_stray_listener', params: { port: listener.port, pid: listener.pid } },
        confidence: 0.65,
        note: `Earlier checks found pid ${listener.pid} listening on ${listener.port}.`,
      });
    } else if (stray) {
      options.push({
        action: { type: 'kill_stray_listener', params: { port: stray.port, pid: stray.pid } },
        confidence: 0.7,
        note: `The listeners probe found pid ${stray.pid} (${quote(stray.command)}) on port ${stray.port}, owned by no unit, managed service or the orchestrator: a stray.`,
      });
    } else if (probed && holders.length === 0) {
      return findingsFor(
        context,
        { ...base, diagnosis: `${base.diagnosis}; nothing listens on ${where} now`, rationale: 'Whatever held the port is gone, so the bind should now succeed.' },
        restartOptions(context, 0.55, `The listeners probe found ${where} free now.`),
        { confidence: 0.6, reason: `${where} of ${context.service.unit} was taken and is free now, but the unit cannot be restarted here` },
      );
    }
    const holder = owned[0] ? `${owned[0].owner} (${quote(owned[0].command)})` : '';
    const reason =
      owned.length > 0
        ? `${where} of ${context.service.unit} is held by pid ${owned[0]!.pid}: ${holder}; something managed owns it, so it is not a stray to kill and a human must decide`
        : `${where} of ${context.service.unit} is held by another process${listener || stray ? '' : ' whose pid is not known'}; a human must decide which process owns it`;
    return findingsFor(context, base, options, { confidence: owned.length > 0 ? 0.8 : 0.75, reason });
  },
};

/** The disk is full: clean an allow-listed directory the catalog offers, else a human must free space. */
const noSpace: Rule = {
  id: 'no_space',
  summary: 'ENOSPC / No space left on device / disk check: clean_directory offered by the catalog, else escalate',
  evaluate(context) {
    const { lines } = evidenceLines(context, NO_SPACE, ['no_space']);
    const diskCheck = context.task.symptom === 'disk_full' || context.task.symptom === 'inodes_full';
    if (lines.length === 0 && !diskCheck) return [];
    const entry = context.catalog.find((candidate) => candidate.type === 'clean_directory');
    const paths = entry ? catalogPaths(entry) : [];
    const text = entry ? `${entry.description} ${Object.values(entry.params).join(' ')}` : '';
    const minutes = /older than (\d+) ?min/i.exec(text);
    const olderThanMs = Math.max(60_000, minutes ? Number(minutes[1]) * 60_000 : 86_400_000);
    const base = {
      rule: 'no_space',
      symptomClass: 'no_space',
      diagnosis: `no space left on the device ${context.service.unit} writes to${lines[0] ? ` (${quote(lines[0])})` : `: ${context.task.message}`}`,
      rationale: `Nothing restarts successfully on a full disk; space must be freed first.${hintsFor(context, ['no_space'])}`,
      perspectives: ['systems' as const],
      evidence: [...(lines.length > 0 ? ['logs' as const] : []), ...(diskCheck ? ['checks' as const] : [])],
    };
    const options = paths.map((path, index) => ({
      action: { type: 'clean_directory', params: { path, olderThanMs } },
      confidence: 0.7 - 0.05 * index,
      note: `Clean allow-listed ${path} of old files.`,
    }));
    return findingsFor(context, base, options, { confidence: 0.8, reason: 'the disk is full and the catalog offers no directory to clean; a human must free space' });
  },
};

/** Absolute paths the permission-denied lines name (at most three), for the path_info probe. */
function deniedPaths(context: AgentContext): string[] {
  const { lines } = evidenceLines(context, PERMISSION, ['permission_denied']);
  return [...new Set(lines.flatMap((line) => absolutePaths(line)))].slice(0, 3);
}

function describeFact(fact: PathFact): string {
  if (fact.kind === 'missing' || fact.kind === 'unknown') return `${fact.path} (${fact.kind === 'missing' ? 'missing' : 'cannot be inspected'})`;
  return `${fact.path} (${fact.kind}, owner ${fact.owner}:${fact.group}, mode ${fact.mode.toString(8).padStart(4, '0')})`;
}

/** Access is denied: ownership or mode is wrong, which no restart fixes; the path_info probe says which owner and mode. */
const permissionDenied: Rule = {
  id: 'permission_denied',
  summary: 'EACCES / Permission denied: escalate (a human must fix ownership or mode), naming the probed owner and mode',
  wants(context) {
    return deniedPaths(context).map((path) => ({ tool: 'path_info', input: { path } }));
  },
  evaluate(context, facts) {
    const { lines } = evidenceLines(context, PERMISSION, ['permission_denied']);
    if (lines.length === 0) return [];
    const named = deniedPaths(context);
    const probed = facts.paths.filter((fact) => named.includes(fact.path));
    const what = probed.length > 0 ? probed.map(describeFact).join('; ') : 'a file or socket';
    const reason = `${context.service.unit} is denied access to ${what}; a human must fix ownership or mode`;
    return findingsFor(
      context,
      {
        rule: 'permission_denied',
        symptomClass: 'permission_denied',
        diagnosis: `permission denied for ${context.service.unit}: ${quote(lines[0]!)}${probed.length > 0 ? `; ${what}` : ''}`,
        rationale: `A restart fails the same way until ownership or mode is corrected; there is no catalog action for that.${hintsFor(context, ['permission_denied'])}`,
        perspectives: ['systems', 'application'],
        evidence: probed.length > 0 ? ['logs', 'probes'] : ['logs'],
      },
      [],
      { confidence: 0.85, reason },
    );
  },
};

/** Picks the dependency a line is about: its unit name or stem in the line, else its profile's port, else the first. */
function dependencyNamed(line: string, dependencies: readonly string[]): { unit: string; named: boolean; how: string } | undefined {
  const lower = line.toLowerCase();
  const byName = dependencies.find((unit) => {
    const stem = unit
      .replace(/\.(service|socket|target)$/, '')
      .split('@')[0]!
      .toLowerCase();
    const names = [stem, stem.replace(/-server$/, ''), profileForUnit(unit)?.name].filter((name): name is string => !!name && name.length >= 3);
    return names.some((name) => lower.includes(name));
  });
  if (byName) return { unit: byName, named: true, how: 'the log names it' };
  const port = portOf(line);
  const byPort = port !== undefined ? dependencies.find((unit) => profileForUnit(unit)?.port === port) : undefined;
  if (byPort) return { unit: byPort, named: true, how: `the log names its port ${port}` };
  return dependencies[0] !== undefined ? { unit: dependencies[0], named: false, how: 'no dependency is named; it is the first declared one' } : undefined;
}

/** A dependency refuses connections (or an HTTP check answers 503): restart the dependency, not the service. */
const dependencyRefused: Rule = {
  id: 'dependency_refused',
  summary: 'ECONNREFUSED / connection refused / 503 with a declared dependency: restart_dependency',
  evaluate(context) {
    const { lines } = evidenceLines(context, REFUSED, ['dependency_refused']);
    const unavailable = context.checks.filter((check) => !check.ok && /\b503\b|Service Unavailable/i.test(check.message));
    if (lines.length === 0 && unavailable.length === 0) return [];
    const evidence: EvidenceKind[] = [...(lines.length > 0 ? ['logs' as const] : []), ...(unavailable.length > 0 ? ['checks' as const] : [])];
    const picked = lines.map((line) => dependencyNamed(line, context.service.dependencies)).find((choice) => choice?.named) ?? dependencyNamed('', context.service.dependencies);
    const said = lines[0] ? quote(lines[0]) : unavailable[0]!.message;
    const base = {
      rule: 'dependency_refused',
      symptomClass: 'dependency_down',
      diagnosis: `${context.service.unit} cannot reach a dependency${picked ? ` (${picked.unit})` : ''}: ${said}`,
      rationale: `The service is only the messenger; the dependency it connects to is down.${hintsFor(context, ['dependency_refused'])}`,
      perspectives: ['dependencies' as const, 'application' as const],
      evidence,
    };
    const options = picked
      ? [{ action: { type: 'restart_dependency', params: { unit: picked.unit } }, confidence: picked.named ? 0.7 : 0.6, note: `Chose ${picked.unit}: ${picked.how}.` }]
      : [];
    return findingsFor(context, base, options, { confidence: 0.55, reason: `${context.service.unit} cannot reach a dependency that the orchestrator may not restart` });
  },
};

/** The configuration does not parse: restore the last-known-good copy when one is kept, else escalate. */
const configSyntax: Rule = {
  id: 'config_syntax',
  summary: 'syntax error / unknown directive / config test failure: restore_config, else escalate',
  evaluate(context) {
    const { lines } = evidenceLines(context, CONFIG, ['config_syntax']);
    const tested = context.findings.filter((finding) => /config(uration)? test failed|nginx -t|configtest/i.test(finding));
    if (lines.length === 0 && tested.length === 0) return [];
    const unit = context.service.unit;
    const options = context.service.configPaths.length > 0 ? [{ action: { type: 'restore_config', params: { unit } }, confidence: 0.7 }] : [];
    return findingsFor(
      context,
      {
        rule: 'config_syntax',
        symptomClass: 'config_syntax',
        diagnosis: `the configuration of ${unit} does not parse: ${lines[0] ? quote(lines[0]) : tested[0]!.slice(0, 160)}`,
        rationale: `A broken configuration fails every restart; the last-known-good copy is the safe remedy.${hintsFor(context, ['config_syntax'])}`,
        perspectives: ['application'],
        evidence: [...(lines.length > 0 ? ['logs' as const] : []), ...(tested.length > 0 ? ['findings' as const] : [])],
      },
      options,
      { confidence: 0.8, reason: `the configuration of ${unit} is broken and no last-known-good copy can be restored; a human must fix it` },
    );
  },
};

/** The process ran out of file descriptors: a restart releases them, but the limit needs a human. */
const tooManyOpenFiles: Rule = {
  id: 'too_many_open_files',
  summary: 'EMFILE / Too many open files: restart with low confidence, recommend escalation',
  evaluate(context) {
    const { lines } = evidenceLines(context, OPEN_FILES, ['too_many_open_files']);
    if (lines.length === 0) return [];
    const base = {
      rule: 'too_many_open_files',
      symptomClass: 'too_many_open_files',
      diagnosis: `${context.service.unit} ran out of file descriptors: ${quote(lines[0]!)}`,
      rationale: `A restart releases the descriptors for now; escalate so a human raises LimitNOFILE= or finds the leak.${hintsFor(context, ['too_many_open_files'])}`,
      perspectives: ['systems' as const, 'application' as const],
      evidence: ['logs' as const],
    };
    return findingsFor(context, base, restartOptions(context, 0.35), { confidence: 0.7, reason: `${context.service.unit} runs out of file descriptors; its limit must be raised` });
  },
};

/** Log-derived rules. */
export const LOG_RULES: readonly Rule[] = [addressInUse, noSpace, permissionDenied, dependencyRefused, configSyntax, tooManyOpenFiles];
