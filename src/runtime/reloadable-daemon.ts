/**
 * The daemon across configuration reloads: one generation (a configuration and the daemon built from it) runs
 * at a time, on the same stores and instance lock. A replacement stops the current generation's loops the way a
 * shutdown does (in-flight tasks stop at their next check and are resumed, re-checked, by the next generation),
 * closes its adapters, and builds the next one; the loops then go on with it.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { Logger } from '../core/logger.js';

/** The parts of a daemon a reload touches. */
export interface ReloadableParts {
  orchestrator: { resume(): number };
  adapter: { close?(): Promise<void> | void };
}

export interface Generation<D extends ReloadableParts> {
  config: CompiledConfig;
  daemon: D;
}

export interface ReloadableDaemonOptions<D extends ReloadableParts> {
  /** Builds a daemon from a configuration (createDaemon on the shared stores). */
  build(config: CompiledConfig): D;
  /** The long-lived loops of a generation, running until `signal` aborts. */
  loops(generation: Generation<D>, signal: AbortSignal): Array<Promise<void>>;
  logger: Logger;
}

interface Replacement {
  config: CompiledConfig;
  resolve(): void;
  reject(error: Error): void;
}

export class ReloadableDaemon<D extends ReloadableParts> {
  private generation: Generation<D>;
  private stopGeneration = new AbortController();
  private replacement: Replacement | undefined;
  private running = false;

  /** Builds the first generation from `config`. */
  constructor(
    config: CompiledConfig,
    private readonly options: ReloadableDaemonOptions<D>,
  ) {
    this.generation = { config, daemon: options.build(config) };
  }

  /** The generation running now. */
  get current(): Generation<D> {
    return this.generation;
  }

  /** Runs generation after generation until `signal` aborts. Tasks a previous run left open are resumed first. */
  async run(signal: AbortSignal): Promise<void> {
    this.running = true;
    this.generation.daemon.orchestrator.resume();
    try {
      for (;;) {
        this.stopGeneration = new AbortController();
        await Promise.all(this.options.loops(this.generation, AbortSignal.any([signal, this.stopGeneration.signal])));
        const replacement = this.replacement;
        this.replacement = undefined;
        if (signal.aborted || !replacement) {
          replacement?.reject(new Error('shutting down: the configuration was not applied'));
          return;
        }
        await this.swap(replacement);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Stops the current generation and starts one with `config`; resolves once it runs. When the new daemon cannot
   * be built, the previous configuration is built again (its adapters were closed) and the error is thrown.
   */
  replace(config: CompiledConfig): Promise<void> {
    if (!this.running) return Promise.reject(new Error('the daemon is not running'));
    if (this.replacement) return Promise.reject(new Error('a reload is already under way'));
    return new Promise<void>((resolve, reject) => {
      this.replacement = { config, resolve, reject };
      this.stopGeneration.abort(new Error('configuration reload'));
    });
  }

  private async swap(replacement: Replacement): Promise<void> {
    const { logger, build } = this.options;
    const previous = this.generation;
    try {
      await previous.daemon.adapter.close?.();
    } catch (error) {
      logger.error({ error: (error as Error).message }, 'reload: closing the service adapters failed');
    }
    try {
      this.generation = { config: replacement.config, daemon: build(replacement.config) };
    } catch (error) {
      this.generation = { config: previous.config, daemon: build(previous.config) };
      this.generation.daemon.orchestrator.resume();
      replacement.reject(error as Error);
      return;
    }
    this.generation.daemon.orchestrator.resume();
    replacement.resolve();
  }
}
