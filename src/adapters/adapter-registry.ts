/**
 * The adapters of this host, by service: each configured service names its adapter (systemd, process), and a
 * name nobody configured (a dependency unit, a failed unit found on the host) goes to the default one. The
 * registry is itself a ServiceAdapter that routes every call, so the core sees one port; `for(name)` gives the
 * service's own adapter where its capabilities matter (the executor, the agents' catalog).
 */
import type { AdapterCapability, CommandResult, LogQuery, ServiceAdapter, ServiceDefinition, ServiceStatus, StateListener, StatusOptions } from '../core/ports.js';

export class AdapterRegistry implements ServiceAdapter {
  readonly kind = 'registry';
  readonly capabilities: ReadonlySet<AdapterCapability>;
  private readonly byName: ReadonlyMap<string, ServiceAdapter>;

  /** `assigned` maps a service's handle to its adapter; everything else goes to `fallback`. */
  constructor(
    private readonly fallback: ServiceAdapter,
    assigned: ReadonlyMap<string, ServiceAdapter>,
  ) {
    this.byName = assigned;
    this.capabilities = new Set(this.adapters().flatMap((adapter) => [...adapter.capabilities]));
  }

  /** Every distinct adapter, the default first. */
  adapters(): ServiceAdapter[] {
    return [...new Set([this.fallback, ...this.byName.values()])];
  }

  for(name: string): ServiceAdapter {
    return this.byName.get(name) ?? this.fallback;
  }

  async statusMany(names: readonly string[], signal?: AbortSignal, options?: StatusOptions): Promise<Map<string, ServiceStatus>> {
    const groups = new Map<ServiceAdapter, string[]>();
    for (const name of names) {
      const adapter = this.for(name);
      if (adapter.unavailable) continue;
      groups.set(adapter, [...(groups.get(adapter) ?? []), name]);
    }
    const merged = new Map<string, ServiceStatus>();
    for (const [adapter, group] of groups) for (const [name, status] of await adapter.statusMany(group, signal, options)) merged.set(name, status);
    return merged;
  }

  async listFailed(signal?: AbortSignal): Promise<string[]> {
    const failed: string[] = [];
    for (const adapter of this.adapters()) if (!adapter.unavailable && adapter.listFailed) failed.push(...(await adapter.listFailed(signal)));
    return failed;
  }

  start(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.for(name).start(name, signal);
  }
  stop(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.for(name).stop(name, signal);
  }
  restart(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.for(name).restart(name, signal);
  }
  logs(name: string, query: LogQuery, signal?: AbortSignal): Promise<string[]> {
    return this.for(name).logs(name, query, signal);
  }
  async runtimePaths(name: string, signal?: AbortSignal): Promise<{ directories: string[]; pidFile?: string }> {
    return (await this.for(name).runtimePaths?.(name, signal)) ?? { directories: [] };
  }
  async dependencies(name: string, signal?: AbortSignal): Promise<string[]> {
    return (await this.for(name).dependencies?.(name, signal)) ?? [];
  }
  async daemonReload(signal?: AbortSignal): Promise<CommandResult> {
    const adapter = this.adapters().find((candidate) => candidate.daemonReload && !candidate.unavailable);
    if (!adapter) throw new Error('no service manager here can reload unit files');
    return adapter.daemonReload!(signal);
  }
  async definition(name: string, signal?: AbortSignal): Promise<ServiceDefinition> {
    const adapter = this.for(name);
    if (!adapter.definition) throw new Error(`the ${adapter.kind} adapter does not know how ${name} is defined`);
    return adapter.definition(name, signal);
  }

  watch(names: readonly string[], listener: StateListener): () => void {
    const stops = this.adapters()
      .filter((adapter) => adapter.watch && !adapter.unavailable)
      .map((adapter) =>
        adapter.watch!(
          names.filter((name) => this.for(name) === adapter),
          listener,
        ),
      );
    return () => stops.forEach((stop) => stop());
  }

  watchFailed(listener: StateListener): () => void {
    const stops = this.adapters()
      .filter((adapter) => adapter.watchFailed && !adapter.unavailable)
      .map((adapter) => adapter.watchFailed!(listener));
    return () => stops.forEach((stop) => stop());
  }

  /** Live only when every adapter that owns one of `names` pushes its changes now. */
  eventsLive(names: readonly string[]): boolean {
    return this.adapters().every((adapter) => {
      const own = names.filter((name) => this.for(name) === adapter);
      return own.length === 0 || adapter.unavailable !== undefined || adapter.eventsLive?.(own) === true;
    });
  }

  describeWatching(): string {
    return this.adapters()
      .filter((adapter) => adapter.describeWatching)
      .map((adapter) => `${adapter.kind}: ${adapter.describeWatching!()}`)
      .join('; ');
  }

  async close(): Promise<void> {
    for (const adapter of this.adapters()) await adapter.close?.();
  }
}
