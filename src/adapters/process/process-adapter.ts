/** Placeholder: the process adapter is being written (issue 11). */
import type { CompiledService } from '../../config/compiled.js';
import type { AdapterCapability, CommandResult, LogQuery, ServiceAdapter, ServiceStatus } from '../../core/ports.js';

export interface ProcessAdapterOptions {
  /** The services it manages (those with a process: block). */
  services: readonly CompiledService[];
  /** Where captured stdout and stderr are kept: DATA/process-logs/<service>.log. */
  logDirectory: string;
}

export class ProcessAdapter implements ServiceAdapter {
  readonly kind = 'process';
  readonly capabilities: ReadonlySet<AdapterCapability> = new Set();
  constructor(readonly options: ProcessAdapterOptions) {}
  async startAll(): Promise<void> {
    throw new Error('not implemented');
  }
  async statusMany(): Promise<Map<string, ServiceStatus>> {
    throw new Error('not implemented');
  }
  async start(): Promise<CommandResult> {
    throw new Error('not implemented');
  }
  async stop(): Promise<CommandResult> {
    throw new Error('not implemented');
  }
  async restart(): Promise<CommandResult> {
    throw new Error('not implemented');
  }
  async logs(_name: string, _query: LogQuery): Promise<string[]> {
    throw new Error('not implemented');
  }
}
