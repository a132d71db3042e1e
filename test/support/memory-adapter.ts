/**
 * A service adapter in memory, for fast tests of the plan runner, the pipeline and the phases: the test sets each
 * service's state; start and restart bring it up after `restartMs` (starting meanwhile), unless the test says a
 * service stays down. Every action is logged; `onAction` runs before one (to fill a disk mid-action, say).
 */
import { ADAPTER_CAPABILITIES, type AdapterCapability, type CommandResult, type ServiceAdapter, type ServiceState, type ServiceStatus } from '../../src/core/ports.js';

const ACTIVE_STATES: Record<ServiceState, string> = { running: 'active', starting: 'activating', stopped: 'inactive', failed: 'failed', missing: 'inactive' };

export function commandOk(argv: readonly string[], exitCode = 0): CommandResult {
  return { argv, exitCode, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 1 };
}

export class MemoryAdapter implements ServiceAdapter {
  readonly kind = 'memory';
  readonly capabilities: ReadonlySet<AdapterCapability>;
  readonly states = new Map<string, ServiceState>();
  /** Services that stay failed whatever is done to them. */
  readonly broken = new Set<string>();
  readonly actions: string[] = [];
  logLines: string[] = ['Main process exited, code=killed, status=9/KILL'];
  onAction: (verb: string, name: string) => void = () => {};
  private readonly restartMs: number;
  private readonly restartCount = new Map<string, number>();

  constructor(options: { restartMs?: number; capabilities?: readonly AdapterCapability[] } = {}) {
    this.restartMs = options.restartMs ?? 0;
    this.capabilities = new Set(options.capabilities ?? ADAPTER_CAPABILITIES);
  }

  status(name: string): ServiceStatus {
    const state = this.states.get(name) ?? 'running';
    const up = state === 'running';
    return {
      name,
      state,
      loadState: state === 'missing' ? 'not-found' : 'loaded',
      activeState: ACTIVE_STATES[state],
      subState: up ? 'running' : state === 'failed' ? 'failed' : state === 'starting' ? 'start' : 'dead',
      unitFileState: 'enabled',
      mainPid: up ? 4242 : 0,
      result: state === 'failed' ? 'signal' : 'success',
      execMainStatus: state === 'failed' ? 9 : 0,
      execMainCode: state === 'failed' ? 'killed' : 'exited',
      restarts: this.restartCount.get(name) ?? 0,
      serviceType: 'simple',
      activeSince: null,
    };
  }

  async statusMany(names: readonly string[]) {
    return new Map(names.map((name) => [name, this.status(name)]));
  }
  async listFailed(): Promise<string[]> {
    return [];
  }
  private async bringUp(verb: string, name: string): Promise<CommandResult> {
    this.onAction(verb, name);
    this.actions.push(`${verb} ${name}`);
    this.restartCount.set(name, (this.restartCount.get(name) ?? 0) + 1);
    if (this.broken.has(name)) {
      this.states.set(name, 'failed');
      return commandOk([verb, name]);
    }
    this.states.set(name, 'starting');
    if (this.restartMs > 0) await new Promise((resolve) => setTimeout(resolve, this.restartMs));
    this.states.set(name, 'running');
    return commandOk([verb, name]);
  }
  start = (name: string) => this.bringUp('start', name);
  restart = (name: string) => this.bringUp('restart', name);
  stop = async (name: string) => {
    this.actions.push(`stop ${name}`);
    this.states.set(name, 'stopped');
    return commandOk(['stop', name]);
  };
  reload = async (name: string) => commandOk(['reload', name]);
  resetFailed = async (name: string) => commandOk(['reset-failed', name]);
  kill = async (name: string, killSignal: string) => {
    this.actions.push(`kill ${killSignal} ${name}`);
    return commandOk(['kill', name]);
  };
  vacuumJournal = async (maxSizeMb: number) => commandOk(['vacuum', String(maxSizeMb)]);
  async runtimePaths() {
    return { directories: [] };
  }
  async logs() {
    return [...this.logLines];
  }
  async dependencies() {
    return [];
  }
}
