/**
 * The detector runs checks and turns failures into issues. A `watch` pass looks only at unit states (cheap,
 * every second or so); a `full` pass runs every check. One issue per service per pass: the most fundamental
 * failing check (the unit before its probes), with the other results kept as evidence.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import { discoveredService } from '../config/compile.js';
import { adapterOf, type Clock, type CommandRunner, type Probes, type ServiceAdapter, type ServiceStatus } from '../core/ports.js';
import type { CheckResult, Evidence, Issue } from '../core/types.js';
import { sanitizeLines } from '../core/sanitize.js';
import { evaluateUnit } from './unit-check.js';
import { runProbeCheck } from './probe-checks.js';
import { HOST_SERVICE, runHostChecks } from './host-checks.js';
import { unitEvidence } from './unit-evidence.js';
import { fingerprintOf } from './fingerprint.js';
import { mapWithConcurrency } from '../core/concurrency.js';

export type DetectionKind = 'full' | 'watch';

export interface Detection {
  issues: Issue[];
  checksRun: number;
  /** Names of services (and "host") whose checks all passed in this pass. */
  healthy: Set<string>;
  statuses: Map<string, ServiceStatus>;
}

export interface DetectorDependencies {
  config: CompiledConfig;
  adapter: ServiceAdapter;
  probes: Probes;
  runner: CommandRunner;
  clock: Clock;
  /** Whether to treat every failed unit on the host as an issue. */
  watchFailedUnits: boolean;
}

const EVIDENCE_LOG_LINES = 20;

export class Detector {
  private readonly discovered = new Map<string, CompiledService>();
  private readonly configured: Map<string, CompiledService>;

  constructor(private readonly dependencies: DetectorDependencies) {
    this.configured = new Map(dependencies.config.services.map((service) => [service.name, service]));
  }

  /** A configured or discovered service by name. */
  service(name: string): CompiledService | undefined {
    return this.configured.get(name) ?? this.discovered.get(name);
  }

  serviceByUnit(unit: string): CompiledService | undefined {
    return [...this.configured.values(), ...this.discovered.values()].find((service) => service.unit === unit);
  }

  /** Registers a unit found failed on the host (also used when resuming tasks after a restart). */
  discover(unit: string): CompiledService {
    const configured = [...this.configured.values()].find((service) => service.unit === unit);
    if (configured) return configured;
    const service = discoveredService(unit, this.dependencies.config.autonomy);
    this.discovered.set(service.name, service);
    return service;
  }

  async detect(kind: DetectionKind, signal?: AbortSignal): Promise<Detection> {
    const { config, adapter } = this.dependencies;
    // A service whose adapter cannot work here (systemd is not running) is not watched: reported once at start.
    const services = [...this.configured.values()].filter((service) => !adapterOf(adapter, service.unit).unavailable);
    if (this.dependencies.watchFailedUnits) {
      for (const unit of (await adapter.listFailed?.(signal)) ?? []) {
        if (!services.some((service) => service.unit === unit)) services.push(this.discover(unit));
      }
    }
    // The watch may read states kept between pushed changes; a full pass asks the manager for each.
    const statuses = await adapter.statusMany(
      services.map((service) => service.unit),
      signal,
      { cached: kind === 'watch' },
    );
    const detection: Detection = { issues: [], checksRun: 0, healthy: new Set(), statuses };
    await mapWithConcurrency(services, 16, async (service) => {
      const results = await this.runServiceChecks(service, statuses.get(service.unit), kind === 'full', { signal });
      detection.checksRun += results.length;
      const failing = results.find((result) => !result.ok);
      if (!failing) {
        detection.healthy.add(service.name);
        return;
      }
      detection.issues.push(await this.issueFor(service, failing, results, statuses.get(service.unit), signal));
    });
    if (kind === 'full') {
      const hostResults = await runHostChecks(config.host, this.dependencies.probes);
      detection.checksRun += hostResults.length;
      for (const result of hostResults.filter((item) => !item.ok)) {
        detection.issues.push(this.hostIssue(result, hostResults));
      }
      if (hostResults.every((result) => result.ok)) detection.healthy.add(HOST_SERVICE);
    }
    return detection;
  }

  /**
   * Runs a service's checks: the unit state first; the probes only when the unit is up (a stopped unit's
   * probes fail for the same reason) and `probes` is set.
   */
  async runServiceChecks(
    service: CompiledService,
    status: ServiceStatus | undefined,
    probes: boolean,
    options: { signal?: AbortSignal; logSinceMs?: number } = {},
  ): Promise<CheckResult[]> {
    const unitResult = evaluateUnit('unit', service.unit, status);
    if (!unitResult.ok || !probes) return [unitResult];
    const results: CheckResult[] = [unitResult];
    for (const check of service.checks) {
      if (check.type === 'unit') continue;
      results.push(
        await runProbeCheck(check, {
          unit: service.unit,
          probes: this.dependencies.probes,
          runner: this.dependencies.runner,
          adapter: this.dependencies.adapter,
          maxOutputBytes: this.dependencies.config.safety.maxOutputBytes,
          signal: options.signal,
          logSinceMs: options.logSinceMs,
        }).catch((error: Error): CheckResult => ({
          checkId: check.id,
          type: check.type,
          ok: false,
          symptom: 'command_failed',
          detail: 'error',
          message: `check error: ${error.message}`,
        })),
      );
    }
    return results;
  }

  async unitStatus(unit: string, signal?: AbortSignal): Promise<ServiceStatus | undefined> {
    return (await this.dependencies.adapter.statusMany([unit], signal)).get(unit);
  }

  /** Re-runs every check of a service (or the host), for verification after an action. */
  async verify(serviceName: string, options: { signal?: AbortSignal; logSinceMs?: number } = {}): Promise<CheckResult[]> {
    if (serviceName === HOST_SERVICE) return runHostChecks(this.dependencies.config.host, this.dependencies.probes);
    const service = this.service(serviceName);
    if (!service) return [{ checkId: 'unit', type: 'unit', ok: false, symptom: 'unit_not_found', message: `unknown service ${serviceName}` }];
    const statuses = await this.dependencies.adapter.statusMany([service.unit], options.signal);
    return this.runServiceChecks(service, statuses.get(service.unit), true, options);
  }

  private async issueFor(service: CompiledService, failing: CheckResult, results: CheckResult[], status: ServiceStatus | undefined, signal?: AbortSignal): Promise<Issue> {
    const logs = await this.dependencies.adapter.logs(service.unit, { lines: EVIDENCE_LOG_LINES }, signal).catch(() => [] as string[]);
    const evidence: Evidence = {
      unit: status && unitEvidence(service.unit, status),
      logs: sanitizeLines(logs, EVIDENCE_LOG_LINES),
      checks: results,
    };
    const symptom = failing.symptom ?? 'command_failed';
    return {
      fingerprint: fingerprintOf(service.name, failing.checkId, symptom),
      service: service.name,
      unit: service.unit,
      checkId: failing.checkId,
      symptom,
      signature: failing.detail ? `${symptom}:${failing.detail}` : symptom,
      message: failing.message,
      evidence,
      detectedAt: this.dependencies.clock.now(),
    };
  }

  private hostIssue(failing: CheckResult, results: CheckResult[]): Issue {
    const symptom = failing.symptom ?? 'disk_full';
    return {
      fingerprint: fingerprintOf(HOST_SERVICE, failing.checkId, symptom),
      service: HOST_SERVICE,
      checkId: failing.checkId,
      symptom,
      signature: symptom,
      message: failing.message,
      evidence: { logs: [], checks: results },
      detectedAt: this.dependencies.clock.now(),
    };
  }
}
