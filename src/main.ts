/**
 * The composition root: the one place that builds the real adapters (systemctl, node probes, the file system,
 * the clock) and wires the daemon from them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterRegistry } from './adapters/adapter-registry.js';
import { ProcessAdapter } from './adapters/process/process-adapter.js';
import type { CompiledConfig } from './config/compiled.js';
import { adapterOf, type Clock, type CommandRunner, type FileSystem, type Probes, type ServiceAdapter } from './core/ports.js';
import { silentLogger, type Logger } from './core/logger.js';
import { ProcessCommandRunner } from './runtime/command-runner.js';
import { createIdGenerator, systemClock } from './runtime/clock.js';
import { SystemdAdapter } from './adapters/systemd/systemd-adapter.js';
import { DbusSystemdAdapter } from './adapters/systemd/dbus-systemd-adapter.js';
import { nodeProbes } from './adapters/host/node-probes.js';
import { nodeFileSystem } from './adapters/host/node-file-system.js';
import { openStores, type Stores } from './store/stores.js';
import { ConfigSnapshots } from './store/config-snapshots.js';
import { Detector } from './checks/detector.js';
import { SafetyPolicy } from './actions/safety-policy.js';
import { Executor } from './actions/executor.js';
import { PlanRunner } from './phases/plan-runner.js';
import { QuickFixPhase } from './phases/quick-fix.js';
import { Pipeline } from './phases/pipeline.js';
import { Orchestrator, type StateEvents } from './runtime/orchestrator.js';
import { ConfigKeeper } from './runtime/config-keeper.js';
import { LastKnownGood } from './runtime/last-known-good.js';
import { createInvestigator } from './runtime/investigation.js';
import { blockCleared } from './runtime/unblock.js';
import { ResearchPhase } from './phases/research.js';
import { ConsensusPhase } from './phases/consensus.js';
import type { RemediationPhase } from './phases/phase.js';
import type { Agent } from './agents/agent.js';
import { createAgent } from './agents/create-agent.js';
import { toolboxFactory } from './investigation/toolbox.js';
import { EscalationService } from './escalation/escalation-service.js';
import { scopeOf, serviceOfTask } from './actions/task-scope.js';
import { hostname } from 'node:os';
import type { FleetStore } from './store/fleet/fleet-store.js';
import { FleetMember } from './fleet/fleet-member.js';
import { hostRecord } from './fleet/host-identity.js';
import { channelNames, createNotifiers, type CreateNotifiersOptions } from './notify/create-notifiers.js';
export { channelNames } from './notify/create-notifiers.js';
import { OutboxDispatcher } from './notify/dispatcher.js';
import type { MetricsRecorder } from './core/metrics.js';
import { Silences, describeSilence } from './control/silences.js';
import { AlertIntake } from './alerts/alert-intake.js';
import { describeAutonomy, effectiveAutonomy } from './control/autonomy.js';
import type { CompiledService } from './config/compiled.js';

export interface Adapters {
  runner: CommandRunner;
  adapter: ServiceAdapter;
  probes: Probes;
  files: FileSystem;
  clock: Clock;
}

/** The real adapters of this host: systemd for units, the process adapter for services with a process: block. */
export function realAdapters(config: CompiledConfig, logger: Logger = silentLogger): Adapters {
  const runner = new ProcessCommandRunner();
  const polling = new SystemdAdapter({
    runner,
    jobTimeoutMs: config.safety.commandTimeoutMs * 3,
    unavailable: systemdIsInit() ? undefined : 'systemd is not running here',
  });
  // systemd over D-Bus; the polling adapter (systemctl) when the bus cannot be reached, and for the journal.
  const systemd = new DbusSystemdAdapter({ fallback: polling, logger, jobTimeoutMs: config.safety.commandTimeoutMs * 3 });
  const processServices = config.services.filter((service) => service.adapter === 'process');
  const processes = processServices.length > 0 ? new ProcessAdapter({ services: processServices, logDirectory: join(config.dataDir, 'process-logs') }) : undefined;
  const assigned = new Map<string, ServiceAdapter>(processServices.map((service) => [service.unit, processes!]));
  return {
    runner,
    adapter: new AdapterRegistry(systemd, assigned),
    probes: nodeProbes,
    files: nodeFileSystem,
    clock: systemClock,
  };
}

/** sd_booted(): systemd is the init system when /run/systemd/system exists. */
export function systemdIsInit(): boolean {
  return existsSync('/run/systemd/system');
}

/** Whether every failed unit on the host is treated as an issue (`auto`: when systemd is the init system). */
function watchesFailedUnits(config: CompiledConfig): boolean {
  return config.cycle.watchFailedUnits === 'auto' ? systemdIsInit() : config.cycle.watchFailedUnits;
}

export function createDetector(config: CompiledConfig, adapters: Adapters): Detector {
  return new Detector({ config, ...adapters, watchFailedUnits: watchesFailedUnits(config) });
}

export interface Daemon {
  orchestrator: Orchestrator;
  /** The service adapters (closed at shutdown: the D-Bus connection, supervised children). */
  adapter: ServiceAdapter;
  stores: Stores;
  detector: Detector;
  policy: SafetyPolicy;
  escalations: EscalationService;
  /** Silences and maintenance windows. */
  silences: Silences;
  /** Alertmanager's alerts, when the config has an alertmanager: receiver. */
  alerts?: AlertIntake;
  /** Delivers queued notifications; runs beside the cycle engine and never blocks it. */
  dispatcher: OutboxDispatcher;
  /** This host in its fleet (with a fleet store): heartbeats, replication, the fleet budget and learning. */
  fleet?: FleetMember;
}

export interface DaemonOptions {
  config: CompiledConfig;
  logger: Logger;
  adapters?: Adapters;
  stores?: Stores;
  /** Overrides safety.dryRun (the --dry-run flag). */
  dryRun?: boolean;
  /** Overrides the configured agents (tests use scripted agents). */
  agents?: Partial<AgentSet>;
  /** Hooks for the notifiers (a fetch, email transport options). */
  notify?: CreateNotifiersOptions;
  /** Where cycles, phases and actions are reported (Prometheus in the daemon). */
  metrics?: MetricsRecorder;
  /** The fleet's shared store (opened once by the caller, kept across reloads); absent, this host is on its own. */
  fleetStore?: FleetStore;
}

export interface AgentSet {
  research: Agent;
  systems: Agent;
  application: Agent;
  dependencies: Agent;
}

/** The configured agents: phase 2's researcher and phase 3's three perspectives. */
export function createAgents(config: CompiledConfig, runner: CommandRunner): AgentSet {
  return {
    research: createAgent(config.agents.research, { runner }),
    systems: createAgent(config.agents.systems, { runner }),
    application: createAgent(config.agents.application, { runner }),
    dependencies: createAgent(config.agents.dependencies, { runner }),
  };
}

/** Builds a daemon from configuration: stores, detector, policy, executor, phases, pipeline, cycle engine. */
export function createDaemon(options: DaemonOptions): Daemon {
  const { config, logger } = options;
  const adapters = options.adapters ?? realAdapters(config, logger);
  const stores = options.stores ?? openStores(config.dataDir);
  const newId = createIdGenerator(() => adapters.clock.now());
  const detector = createDetector(config, adapters);
  for (const service of config.services) {
    const unavailable = adapterOf(adapters.adapter, service.unit).unavailable;
    if (unavailable)
      logger.warn(
        { service: service.name, unit: service.unit },
        `${service.name} names the systemd unit ${service.unit}, but ${unavailable}: it is not watched, and nothing is escalated for it`,
      );
  }
  const isPaused = () => stores.state.pause().paused;
  // Fleet-wide silences come from the fleet member, built below (it needs the escalations, which need these).
  const fleetRef: { member?: FleetMember } = {};
  const silences = new Silences({ repository: stores.silences, config, clock: adapters.clock, newId, fleet: () => fleetRef.member?.silences() ?? [] });
  const policy = new SafetyPolicy({
    clock: adapters.clock,
    dryRun: options.dryRun ?? config.safety.dryRun,
    budget: config.safety.budget,
    rateLimit: config.safety.rateLimit,
    isPaused,
    heldBack: (name) => heldBack(detector.service(name), silences, stores),
  });
  const windowStart = adapters.clock.now() - Math.max(config.safety.budget.windowMs, config.safety.rateLimit.windowMs);
  policy.seed(stores.attempts.actedSince(windowStart));
  const snapshots = new ConfigSnapshots(config.dataDir);
  const lastKnownGood = new LastKnownGood({ adapter: adapters.adapter, states: stores.serviceStates, config, clock: adapters.clock, logger });
  const executor = new Executor({
    adapter: adapters.adapter,
    runner: adapters.runner,
    files: adapters.files,
    probes: adapters.probes,
    config,
    snapshots,
    clock: adapters.clock,
    knownGood: lastKnownGood,
  });
  const { metrics } = options;
  const escalations = createEscalationService(config, stores, logger, adapters.clock, adapters.adapter, silences);
  const fleet =
    options.fleetStore &&
    new FleetMember({
      fleet: options.fleetStore,
      stores,
      config,
      host: hostRecord(config, adapters.clock.now()),
      clock: adapters.clock,
      logger,
      newId,
      summary: () => ({
        services: config.services.length,
        failing: stores.tasks.listTracking().filter((task) => task.status === 'open' || task.status === 'running').length,
        escalated: stores.escalations.countActive(),
        paused: stores.state.pause().paused,
      }),
      escalations: () => escalations,
    });
  fleetRef.member = fleet;
  const planRunner = new PlanRunner({ stores, executor, policy, detector, clock: adapters.clock, newId, settleMs: config.verification.settleMs, logger, metrics, fleet });
  const agents = { ...createAgents(config, adapters.runner), ...options.agents };
  const tools = toolboxFactory({ adapter: adapters.adapter, runner: adapters.runner, probes: adapters.probes, config });
  const phases: RemediationPhase[] = [
    new QuickFixPhase({
      config,
      stores,
      planRunner,
      adapter: adapters.adapter,
      files: adapters.files,
      clock: adapters.clock,
      fleetPatterns: fleet && ((service, signature, local) => fleet.patterns(service, signature, local)),
    }),
  ];
  if (config.phases.research.enabled) {
    phases.push(new ResearchPhase({ config, stores, planRunner, agent: agents.research, files: adapters.files, snapshots, clock: adapters.clock, logger, tools }));
  }
  if (config.phases.consensus.enabled) {
    phases.push(new ConsensusPhase({ config, stores, planRunner, agents, snapshots, clock: adapters.clock, logger, tools }));
  }
  const configKeeper = new ConfigKeeper({ snapshots, runner: adapters.runner, config, clock: adapters.clock, logger });
  const investigate = createInvestigator({ lastKnownGood, probes: adapters.probes, adapter: adapters.adapter, config });
  const pipeline = new Pipeline({
    stores,
    detector,
    adapter: adapters.adapter,
    phases,
    clock: adapters.clock,
    newId,
    logger,
    isPaused,
    escalations,
    config,
    metrics,
    investigate,
    silenced: (service) => silences.active(service),
  });
  const watched = [...new Set(config.services.flatMap((service) => [service.unit, ...service.dependsOn]))];
  const { adapter } = adapters;
  const watchFailedUnits = watchesFailedUnits(config);
  const stateEvents: StateEvents | undefined = adapter.watch
    ? {
        names: watched,
        watch: (names, listener) => {
          const stops = [adapter.watch!(names, listener), ...(watchFailedUnits && adapter.watchFailed ? [adapter.watchFailed(listener)] : [])];
          return () => stops.forEach((stop) => stop());
        },
        live: () => adapter.eventsLive?.(watched) ?? false,
        describe: adapter.describeWatching && (() => adapter.describeWatching!()),
      }
    : undefined;
  const orchestrator = new Orchestrator({
    config,
    stores,
    detector,
    pipeline,
    clock: adapters.clock,
    newId,
    logger,
    remediate: true,
    configKeeper,
    lastKnownGood,
    escalations,
    unblocked: (block, service, signal) =>
      blockCleared(block, service, { runner: adapters.runner, commandTimeoutMs: config.safety.commandTimeoutMs, maxOutputBytes: config.safety.maxOutputBytes }, signal),
    metrics,
    stateEvents,
    silences,
  });
  const dispatcher = new OutboxDispatcher({
    outbox: stores.outbox,
    notifiers: createNotifiers(config.notify, options.notify),
    clock: adapters.clock,
    logger,
    retry: config.notify.retry,
  });
  const alerts =
    config.alertmanager &&
    new AlertIntake({
      config: config.alertmanager,
      services: () => config.services,
      stores,
      clock: adapters.clock,
      logger,
      sink: orchestrator,
      silenced: (service) => silences.active(service),
    });
  return { orchestrator, adapter: adapters.adapter, stores, detector, policy, escalations, dispatcher, silences, alerts, fleet };
}

/** Why the policy may not act on a service now: a silence (wait) or its autonomy off (a human's). */
function heldBack(service: CompiledService | undefined, silences: Silences, stores: Stores): { reason: 'silenced' | 'autonomy_off'; message: string } | undefined {
  if (!service) return undefined;
  const silence = silences.active(service);
  if (silence) return { reason: 'silenced', message: describeSilence(silence) };
  const autonomy = effectiveAutonomy(service, stores.state.autonomyOverrides());
  return autonomy.mode === 'off' ? { reason: 'autonomy_off', message: `automation is off for ${service.name}: ${describeAutonomy(autonomy)}` } : undefined;
}

/** Phase 4's service, also used by the CLI's ack and resolve. */
export function createEscalationService(
  config: CompiledConfig,
  stores: Stores,
  logger: Logger,
  clock: Clock = systemClock,
  adapter?: ServiceAdapter,
  silences = new Silences({ repository: stores.silences, config, clock, newId: createIdGenerator(() => clock.now()) }),
): EscalationService {
  const serviceAdapter = adapter ?? realAdapters(config).adapter;
  const scopeFor = async (escalation: { service: string; unit: string | null }) => {
    const service = serviceOfTask(config, escalation);
    return service && scopeOf(service, { adapter: serviceAdapter, serviceByUnit: (unit) => config.services.find((candidate) => candidate.unit === unit) });
  };
  // A silenced service's notifications are not sent (a reminder, a recurrence, a resolution during maintenance).
  const silencedService = (name: string) => {
    const service = config.services.find((candidate) => candidate.name === name);
    return service && silences.active(service);
  };
  return new EscalationService({
    stores,
    config,
    clock,
    newId: createIdGenerator(() => clock.now()),
    logger,
    host: hostname(),
    channels: channelNames(config),
    scopeFor,
    silenced: silencedService,
  });
}
