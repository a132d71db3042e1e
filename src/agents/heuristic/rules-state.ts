/**
 * Rules for leftover runtime state (stale pid and lock files) and for the remaining known profile signatures
 * (certificates, corrupt data, kernel limits...) that have no catalog remedy of their own.
 */
import { staleFileCandidates, type PathMatch } from './paths.js';
import { evidenceLines, findingsFor, quote, restartOptions, unitActive, type Finding, type Option, type Rule } from './finding.js';

const STALE = /\b(pid|lock)[ -]?file\b.*\bexists|\bstale\b|already running|invalid PID number/i;
const MATCH_CONFIDENCE: Record<PathMatch, number> = { exact: 0.75, directory: 0.7, basename: 0.7, sibling: 0.6, kind: 0.55 };

/** A crash left a pid or lock file that blocks the start: remove it (the executor re-checks it has no live owner). */
const staleRuntimeFile: Rule = {
  id: 'stale_runtime_file',
  summary: 'pid/lock file exists, stale, already running while the unit is down: remove_stale_file of a runtime file',
  evaluate(context) {
    if (unitActive(context)) return [];
    const { lines } = evidenceLines(context, STALE, ['stale_pid', 'stale_lock']);
    if (lines.length === 0) return [];
    const options: Option[] = [];
    for (const line of lines) {
      for (const candidate of staleFileCandidates(line, context.service.runtimeFiles, context.service.runtimeDirectories)) {
        if (options.some((option) => option.action.params.path === candidate.path)) continue;
        options.push({
          action: { type: 'remove_stale_file', params: { path: candidate.path } },
          confidence: MATCH_CONFIDENCE[candidate.match],
          note: `${candidate.path} (${candidate.match} match).`,
        });
      }
    }
    options.sort((a, b) => b.confidence - a.confidence);
    return findingsFor(
      context,
      {
        rule: 'stale_runtime_file',
        symptomClass: 'stale_lock',
        diagnosis: `${context.service.unit} is down and reports leftover runtime state: ${quote(lines[0]!)}`,
        rationale: 'A pid or lock file left by a crash blocks the start; removing it is safe once no live process owns it.',
        perspectives: ['systems'],
        evidence: ['logs'],
      },
      options,
      { confidence: 0.6, reason: `${context.service.unit} reports leftover runtime state, but the file is not one of its known runtime files; a human must check it` },
    );
  },
};

/** Known signature classes without an automatic remedy: what a human must do, and how sure we are. */
const HUMAN_ONLY: Record<string, { confidence: number; why: string }> = {
  certificate: { confidence: 0.8, why: 'a certificate or key is missing, unreadable or mismatched' },
  corrupt_data: { confidence: 0.85, why: 'data files are damaged and must be repaired from a backup or with a repair tool' },
  auth_failure: { confidence: 0.6, why: 'clients are rejected by authentication; the server itself may be healthy' },
  kernel_limit: { confidence: 0.8, why: 'a kernel limit (sysctl) is too low for the service' },
  missing_log: { confidence: 0.7, why: 'the service expects a log file that does not exist' },
  zone_load_failed: { confidence: 0.75, why: 'a zone file is broken' },
  no_time_source: { confidence: 0.6, why: 'no time source is reachable; the network path must be checked' },
};

/** Signature classes that a restart may relieve for a while, with the restart's confidence. */
const RESTART_RELIEVES: Record<string, number> = { worker_exhaustion: 0.35, missing_runtime_dir: 0.5 };

/** Classes handled by dedicated rules; the profile-signature rule leaves them alone. */
const HANDLED = new Set([
  'address_in_use',
  'config_syntax',
  'permission_denied',
  'no_space',
  'stale_lock',
  'stale_pid',
  'out_of_memory',
  'dependency_refused',
  'too_many_open_files',
]);

/** The remaining known signatures of the service's profile: restart where that helps, escalate with the hint otherwise. */
const profileSignature: Rule = {
  id: 'profile_signature',
  summary: 'other known profile signatures (certificate, corrupt_data, kernel_limit...): escalate with the profile hint',
  evaluate(context) {
    const findings: Finding[] = [];
    const classes = [...new Set(context.knownSignatures.map((signature) => signature.symptom).filter((symptom) => !HANDLED.has(symptom)))];
    for (const symptom of classes) {
      const signature = context.knownSignatures.find((candidate) => candidate.symptom === symptom)!;
      const known = HUMAN_ONLY[symptom];
      const base = {
        rule: 'profile_signature',
        symptomClass: symptom,
        diagnosis: `${context.service.unit} log matches the ${context.service.profile ?? 'profile'} signature ${symptom}: ${quote(signature.line)}`,
        rationale: `Profile hint: ${signature.hint}`,
        perspectives: ['application' as const],
        evidence: ['logs' as const],
      };
      const restart = RESTART_RELIEVES[symptom];
      const options = restart !== undefined ? restartOptions(context, restart, 'A restart relieves it for now; escalate if it recurs.') : [];
      const reason = known ? `${known.why}: ${signature.hint}` : `known signature ${symptom}: ${signature.hint}`;
      findings.push(...findingsFor(context, base, options, { confidence: known?.confidence ?? 0.5, reason }));
    }
    return findings;
  },
};

/** State and signature rules. */
export const STATE_RULES: readonly Rule[] = [staleRuntimeFile, profileSignature];
