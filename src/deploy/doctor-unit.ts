/**
 * The doctor's look at the installed unit from where the daemon stands: whether every path the configuration
 * needs is writable inside the unit's own mount namespace (entered with nsenter, so ProtectSystem= answers, not
 * the doctor's view), and whether every secret variable the configuration names is in the unit's environment.
 */
import { readFileSync } from 'node:fs';
import type { CompiledConfig } from '../config/compiled.js';
import type { CommandRunner } from '../core/ports.js';
import { environmentFileFor, parseEnvironmentFile } from '../config/environment-file.js';
import { missingSecrets, secretReferences } from '../config/secrets.js';
import { configWritablePaths, isGranted, unitSandbox, writableInNamespace } from './sandbox-paths.js';
import type { DoctorCheck } from './doctor.js';

/** One check per path the running unit cannot write (or one saying all can), from inside its namespace. */
export async function sandboxChecks(config: CompiledConfig, unit: string, runner: CommandRunner): Promise<DoctorCheck[]> {
  const sandbox = await unitSandbox(unit, runner);
  if (!sandbox || sandbox.activeState !== 'active' || sandbox.mainPid <= 0) {
    return [{ name: 'sandbox', ok: true, warning: true, detail: `${unit} is not running: the paths its configuration needs were not checked inside its sandbox` }];
  }
  const needed = [config.dataDir, ...configWritablePaths(config)];
  const results = await writableInNamespace(sandbox.mainPid, needed, runner);
  if ([...results.values()].every((result) => result === 'unknown')) {
    return [{ name: 'sandbox', ok: true, warning: true, detail: `cannot enter the mount namespace of ${unit} (pid ${sandbox.mainPid})`, fix: 'run orchestrator doctor as root' }];
  }
  const restart = `systemctl restart ${unit} (at its start the daemon makes the paths its configuration names writable)`;
  const checks: DoctorCheck[] = [];
  for (const [target, result] of results) {
    if (result === 'read-only') {
      const granted = isGranted(target, sandbox.granted);
      checks.push({
        name: `sandbox ${target}`,
        ok: false,
        detail: `${target} is not writable inside the sandbox of ${unit} (checked in its mount namespace): ${
          granted ? 'the unit grants it, but it did not exist when the daemon started' : 'the unit does not grant it (ReadWritePaths=)'
        }`,
        fix: restart,
      });
    } else if (result === 'missing') {
      checks.push({
        name: `sandbox ${target}`,
        ok: true,
        warning: true,
        detail: `${target} does not exist: the sandbox can make it writable only once it exists, at the daemon's next start`,
        fix: restart,
      });
    }
  }
  if (!checks.some((check) => !check.ok)) {
    const writable = [...results.values()].filter((result) => result === 'writable').length;
    checks.unshift({ name: 'sandbox', ok: true, detail: `${writable} path(s) the configuration needs are writable inside ${unit} (checked in its mount namespace)` });
  }
  return checks;
}

/**
 * The configuration's secret variables, looked up where the service gets them: the unit's EnvironmentFile= files
 * and Environment= (when the unit is installed), else this process's environment (which read the environment file).
 */
export async function secretChecks(config: CompiledConfig, unit: string | undefined, runner: CommandRunner): Promise<DoctorCheck[]> {
  if (secretReferences(config).length === 0) return [];
  const fromUnit = unit ? await unitEnvironment(unit, runner) : undefined;
  const environmentFile = fromUnit?.files[0] ?? environmentFileFor(config.source);
  const problems = missingSecrets(config, { env: fromUnit?.env ?? process.env, environmentFile, environmentFileReadable: fromUnit?.unreadable !== true });
  const where = fromUnit ? `the environment of ${unit}` : 'this environment';
  if (problems.length === 0) {
    const count = new Set(secretReferences(config).map((reference) => reference.variable)).size;
    return [{ name: 'secrets', ok: true, detail: `the ${count} secret variable(s) the configuration names are set in ${where}` }];
  }
  return problems.map((problem) => ({
    name: `secret ${problem.variable}`,
    ok: false,
    detail: `${problem.path}: ${problem.variable} is not set in ${where}`,
    fix: problem.message.slice(problem.message.indexOf('The service gets')),
  }));
}

/** What a unit's process is given: its EnvironmentFile= files (read as this user can) and Environment=. */
async function unitEnvironment(unit: string, runner: CommandRunner): Promise<{ env: NodeJS.ProcessEnv; files: string[]; unreadable: boolean } | undefined> {
  const shown = await runner.run(['systemctl', 'show', '--property=LoadState,EnvironmentFiles,Environment', '--', unit], { timeoutMs: 10_000 });
  if (shown.exitCode !== 0 || !/^LoadState=loaded$/m.test(shown.stdout)) return undefined;
  const env: NodeJS.ProcessEnv = {};
  const files: string[] = [];
  let unreadable = false;
  for (const line of shown.stdout.split('\n')) {
    if (line.startsWith('Environment=')) {
      for (const word of line.slice('Environment='.length).match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []) {
        const assignment = word.startsWith('"') ? word.slice(1, -1) : word;
        const equals = assignment.indexOf('=');
        if (equals > 0) env[assignment.slice(0, equals)] = assignment.slice(equals + 1);
      }
    }
    if (line.startsWith('EnvironmentFiles=')) {
      const file = line.slice('EnvironmentFiles='.length).split(' ')[0]!;
      files.push(file);
      try {
        for (const [name, value] of parseEnvironmentFile(readFileSync(file, 'utf8'))) env[name] = value;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') unreadable = true;
      }
    }
  }
  return { env, files, unreadable };
}
