/** One compile step: parsed config → defaults applied, durations converted, units resolved, frozen. */
import type { ParsedConfig, CheckConfig, AgentConfig } from './schema.js';
import type { CompiledAgent, CompiledCheck, CompiledConfig, CompiledService } from './compiled.js';
import { parseDuration } from './duration.js';
import { findProfile, profileForUnit } from '../profiles/catalog.js';
import { parseMatcher } from '../core/label-matchers.js';

const ms = (text: string): number => parseDuration(text) ?? 0;

/** Appends `.service` to a bare unit name. */
export function unitName(name: string): string {
  return /\.(service|socket|timer|target|mount|path|scope|slice|swap|device|automount)$/.test(name) ? name : `${name}.service`;
}

export function compileConfig(parsed: ParsedConfig, source: string, defaultDataDir: string): CompiledConfig {
  const unitOf = new Map<string, string>();
  for (const service of parsed.services) {
    const profile = service.profile ? findProfile(service.profile) : undefined;
    unitOf.set(service.name, service.process ? service.name : unitName(service.unit ?? profile?.units[0] ?? service.name));
  }
  const services = parsed.services.map((service): CompiledService => {
    const profile = service.profile ? findProfile(service.profile) : undefined;
    const checks: CompiledCheck[] = [{ id: 'unit', type: 'unit' }];
    const counts = new Map<string, number>();
    const idFor = (check: { type: string; name?: string }) => {
      if (check.name) return check.name;
      const count = (counts.get(check.type) ?? 0) + 1;
      counts.set(check.type, count);
      return count === 1 ? check.type : `${check.type}-${count}`;
    };
    if (profile?.liveness && service.profileChecks) {
      checks.push({ id: 'liveness', type: 'command', argv: profile.liveness, expectExit: 0, timeoutMs: 5_000 });
    }
    for (const check of service.checks) checks.push(compileCheck(check, idFor(check)));
    return {
      name: service.name,
      unit: unitOf.get(service.name)!,
      adapter: service.process ? 'process' : 'systemd',
      ...(service.process && {
        process: {
          argv: service.process.argv,
          pidFile: service.process.pidFile,
          cwd: service.process.cwd,
          env: service.process.env,
          user: service.process.user,
          logFiles: service.process.logFiles,
          stopTimeoutMs: ms(service.process.stopTimeout),
        },
      }),
      profile,
      dependsOn: service.dependsOn.map((dependency) => unitOf.get(dependency) ?? unitName(dependency)),
      runtimeFiles: [...service.runtimeFiles, ...(profile?.runtimeFiles ?? [])],
      configTest: service.configTest ?? profile?.configTest,
      checks,
      configPaths: service.configPaths ?? profile?.configPaths ?? [],
      playbooks: service.playbooks,
      autonomy: service.autonomy ?? parsed.autonomy,
      labels: serviceLabels(service.name, unitOf.get(service.name)!, profile?.name, service.labels),
      discovered: false,
    };
  });
  return deepFreeze({
    source,
    dataDir: parsed.dataDir ?? defaultDataDir,
    logLevel: parsed.logLevel,
    cycle: {
      intervalMs: ms(parsed.cycle.interval),
      watchIntervalMs: ms(parsed.cycle.watchInterval),
      workers: parsed.cycle.workers,
      watchFailedUnits: parsed.cycle.watchFailedUnits,
    },
    verification: { settleMs: ms(parsed.verification.settle) },
    safety: {
      dryRun: parsed.safety.dryRun,
      budget: { actions: parsed.safety.budget.actions, windowMs: ms(parsed.safety.budget.window) },
      rateLimit: { actions: parsed.safety.rateLimit.actions, windowMs: ms(parsed.safety.rateLimit.window) },
      commandTimeoutMs: ms(parsed.safety.commandTimeout),
      maxOutputBytes: parsed.safety.maxOutputBytes,
    },
    phases: {
      quickFix: {
        timeoutMs: ms(parsed.phases.quickFix.timeout),
        minConfidence: parsed.phases.quickFix.minConfidence,
        restartAttempts: parsed.phases.quickFix.restartAttempts,
        backoffMs: ms(parsed.phases.quickFix.backoff),
      },
      research: { ...parsed.phases.research, timeoutMs: ms(parsed.phases.research.timeout) },
      consensus: { ...parsed.phases.consensus, timeoutMs: ms(parsed.phases.consensus.timeout) },
    },
    autonomy: parsed.autonomy,
    alertmanager: parsed.alertmanager && {
      auth:
        'username' in parsed.alertmanager.auth
          ? { kind: 'basic', ...parsed.alertmanager.auth }
          : { kind: 'bearer', tokenEnv: parsed.alertmanager.auth.bearerTokenEnv, tokenFile: parsed.alertmanager.auth.bearerTokenFile },
      routes: parsed.alertmanager.routes.map((route) => ({ service: route.service, matchers: route.matchers.map(parseMatcher) })),
      act: parsed.alertmanager.act,
      resolveWithinMs: ms(parsed.alertmanager.resolveWithin),
    },
    store: { postgres: parsed.store?.postgres },
    fleet: {
      hostName: parsed.fleet.hostName,
      budget: typeof parsed.fleet.budget === 'number' ? { count: parsed.fleet.budget } : { percent: Number(parsed.fleet.budget.slice(0, -1)) },
      leaseForMs: ms(parsed.fleet.leaseFor),
      heartbeatMs: ms(parsed.fleet.heartbeat),
      silentAfterMs: ms(parsed.fleet.silentAfter),
      learnFromFleet: parsed.fleet.learnFromFleet,
    },
    maintenance: parsed.maintenance.map((window) => ({
      name: window.name,
      matchers: window.matchers.map(parseMatcher),
      window: { days: window.days, from: window.from, to: window.to, timeZone: window.timeZone },
      comment: window.comment,
    })),
    notify: {
      email: parsed.notify.email && (({ timeout, ...email }) => ({ ...email, timeoutMs: ms(timeout) }))(parsed.notify.email),
      webhooks: parsed.notify.webhooks.map(({ timeout, ...webhook }) => ({ ...webhook, timeoutMs: ms(timeout) })),
      retry: { maxAttempts: parsed.notify.retry.maxAttempts, initialDelayMs: ms(parsed.notify.retry.initialDelay), maxDelayMs: ms(parsed.notify.retry.maxDelay) },
      renotify: { afterMs: ms(parsed.notify.renotify.after), times: parsed.notify.renotify.times },
      dashboardUrl: parsed.notify.dashboardUrl,
    },
    web: parsed.web,
    backup: parsed.backup,
    escalation: {
      autoResolveCycles: parsed.escalation.autoResolveCycles,
      flapWindowMs: ms(parsed.escalation.flapWindow),
    },
    agents: {
      research: compileAgent(parsed.agents.research),
      systems: compileAgent(parsed.agents.systems),
      application: compileAgent(parsed.agents.application),
      dependencies: compileAgent(parsed.agents.dependencies),
    },
    host: {
      disk: parsed.host.disk,
      inodes: parsed.host.inodes,
      memory: parsed.host.memory,
      cleanup: parsed.host.cleanup.map((entry) => ({ path: entry.path, olderThanMs: ms(entry.olderThan) })),
    },
    services,
  });
}

/** A service's labels: its own, then name, unit and profile (which cannot be overridden). */
export function serviceLabels(name: string, unit: string, profile: string | undefined, own: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  return { ...own, service: name, unit, ...(profile && { profile }) };
}

function compileAgent(agent: AgentConfig): CompiledAgent {
  if (agent.backend === 'heuristic') return { backend: 'heuristic' };
  const { timeout, ...rest } = agent;
  return { ...rest, timeoutMs: ms(timeout) } as CompiledAgent;
}

function compileCheck(check: CheckConfig, id: string): CompiledCheck {
  switch (check.type) {
    case 'http':
      return { id, type: 'http', url: check.url, method: check.method, expectStatus: check.expectStatus, timeoutMs: ms(check.timeout) };
    case 'tcp':
      return { id, type: 'tcp', host: check.host, port: check.port, timeoutMs: ms(check.timeout) };
    case 'command':
      return { id, type: 'command', argv: check.argv, expectExit: check.expectExit, timeoutMs: ms(check.timeout) };
    case 'log':
      return { id, type: 'log', pattern: check.pattern, windowMs: ms(check.window), threshold: check.threshold };
  }
}

/** A service found failed on the host but not configured: watched by its unit state only. */
export function discoveredService(unit: string, autonomy: CompiledService['autonomy'] = 'act'): CompiledService {
  const profile = profileForUnit(unit);
  return deepFreeze({
    name: unit.replace(/\.service$/, ''),
    unit,
    adapter: 'systemd',
    profile,
    dependsOn: [],
    runtimeFiles: profile?.runtimeFiles ?? [],
    configTest: profile?.configTest,
    checks: [{ id: 'unit', type: 'unit' }],
    configPaths: profile?.configPaths ?? [],
    playbooks: {},
    autonomy,
    labels: serviceLabels(unit.replace(/\.service$/, ''), unit, profile?.name, {}),
    discovered: true,
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
