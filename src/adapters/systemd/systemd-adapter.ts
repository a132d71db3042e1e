/** ServiceAdapter over systemctl and journalctl, through the CommandRunner (argv only). */
import {
  ADAPTER_CAPABILITIES,
  type AdapterCapability,
  type CommandResult,
  type CommandRunner,
  type LogQuery,
  type ServiceAdapter,
  type ServiceDefinition,
  type ServiceStatus,
} from '../../core/ports.js';
import { parseShowOutput } from './show-parser.js';
import { readJournal } from './journal.js';
import { DEFINITION_PROPERTIES, definitionFromShow } from './unit-definition.js';

const PROPERTIES = 'Id,LoadState,ActiveState,SubState,UnitFileState,MainPID,Result,ExecMainStatus,ExecMainCode,NRestarts,Type,ActiveEnterTimestamp';

export interface SystemdAdapterOptions {
  runner: CommandRunner;
  /** Timeout for queries (show, list-units, journalctl). */
  queryTimeoutMs?: number;
  /** Timeout for jobs (start, restart ...), which wait for the unit. */
  jobTimeoutMs?: number;
  maxOutputBytes?: number;
  /** Why systemd cannot be used here (it is not PID 1): services on it are not watched. */
  unavailable?: string;
}

export class SystemdAdapter implements ServiceAdapter {
  readonly kind = 'systemd';
  readonly capabilities: ReadonlySet<AdapterCapability> = new Set(ADAPTER_CAPABILITIES);
  private readonly runner: CommandRunner;
  private readonly queryTimeoutMs: number;
  private readonly jobTimeoutMs: number;
  private readonly maxOutputBytes: number;
  readonly unavailable: string | undefined;

  constructor(options: SystemdAdapterOptions) {
    this.runner = options.runner;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
    this.jobTimeoutMs = options.jobTimeoutMs ?? 90_000;
    this.maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
    this.unavailable = options.unavailable;
  }

  async statusMany(units: readonly string[], signal?: AbortSignal): Promise<Map<string, ServiceStatus>> {
    if (units.length === 0) return new Map();
    const result = await this.query(['systemctl', 'show', '--no-pager', '--timestamp=unix', `--property=${PROPERTIES}`, '--', ...units], signal);
    const statuses = parseShowOutput(result.stdout);
    const byName = new Map<string, ServiceStatus>();
    units.forEach((unit, index) => {
      const status = statuses[index];
      if (status) byName.set(unit, { ...status, name: unit });
    });
    return byName;
  }

  async listFailed(signal?: AbortSignal): Promise<string[]> {
    const result = await this.query(['systemctl', 'list-units', '--state=failed', '--type=service', '--plain', '--no-legend', '--no-pager'], signal);
    return result.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((name) => name.endsWith('.service'));
  }

  start(unit: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['systemctl', 'start', '--', unit], signal);
  }
  stop(unit: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['systemctl', 'stop', '--', unit], signal);
  }
  restart(unit: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['systemctl', 'restart', '--', unit], signal);
  }
  reload(unit: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['systemctl', 'reload', '--', unit], signal);
  }
  resetFailed(unit: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['systemctl', 'reset-failed', '--', unit], signal);
  }

  kill(unit: string, killSignal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM', signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['systemctl', 'kill', `--signal=${killSignal}`, '--kill-whom=all', '--', unit], signal);
  }

  async runtimePaths(unit: string, signal?: AbortSignal): Promise<{ directories: string[]; pidFile?: string }> {
    const result = await this.query(['systemctl', 'show', '--no-pager', '--property=RuntimeDirectory,PIDFile', '--', unit], signal);
    const values = new Map(result.stdout.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const));
    const directories = (values.get('RuntimeDirectory') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((name) => `/run/${name}`);
    const pidFile = values.get('PIDFile') || undefined;
    return { directories: pidFile ? [...directories, pidFile.slice(0, pidFile.lastIndexOf('/')) || '/'] : directories, pidFile };
  }

  logs(unit: string, query: LogQuery, signal?: AbortSignal): Promise<string[]> {
    return readJournal(this.runner, unit, query, this.queryTimeoutMs, signal);
  }

  vacuumJournal(maxSizeMb: number, signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['journalctl', `--vacuum-size=${maxSizeMb}M`], signal);
  }

  async definition(unit: string, signal?: AbortSignal): Promise<ServiceDefinition> {
    const result = await this.query(['systemctl', 'show', '--no-pager', `--property=${DEFINITION_PROPERTIES.join(',')}`, '--', unit], signal);
    return definitionFromShow(result.stdout);
  }

  daemonReload(signal?: AbortSignal): Promise<CommandResult> {
    return this.job(['systemctl', 'daemon-reload'], signal);
  }

  async dependencies(unit: string, signal?: AbortSignal): Promise<string[]> {
    const result = await this.query(['systemctl', 'show', '--no-pager', '--value', '--property=Requires,BindsTo', '--', unit], signal);
    return [...new Set(result.stdout.split(/\s+/).filter((name) => name.endsWith('.service')))];
  }

  private async query(argv: string[], signal?: AbortSignal): Promise<CommandResult> {
    const result = await this.runner.run(argv, { timeoutMs: this.queryTimeoutMs, signal, maxOutputBytes: this.maxOutputBytes });
    if (result.spawnError) throw new Error(`${argv[0]} could not run: ${result.spawnError}`);
    if (result.timedOut) throw new Error(`${argv.slice(0, 2).join(' ')} timed out after ${this.queryTimeoutMs} ms`);
    return result;
  }

  private job(argv: string[], signal?: AbortSignal): Promise<CommandResult> {
    return this.runner.run(argv, { timeoutMs: this.jobTimeoutMs, signal, maxOutputBytes: 64 * 1024 });
  }
}
