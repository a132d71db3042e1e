/** The compiled configuration: durations in milliseconds, units resolved, implicit checks added, frozen. */
import type { ServiceProfile } from '../profiles/profile.js';
import type { LabelMatcher } from '../core/label-matchers.js';
import type { WeeklyWindow } from '../core/schedule.js';

export type CompiledAgent =
  | { backend: 'heuristic' }
  | { backend: 'command'; argv: readonly string[]; timeoutMs: number }
  | { backend: 'openai'; baseURL: string; model: string; apiKeyEnv?: string; apiKeyFile?: string; timeoutMs: number }
  | { backend: 'anthropic'; model: string; baseURL?: string; apiKeyEnv: string; apiKeyFile?: string; timeoutMs: number };

/** act: fix; shadow: phases 2 and 3 record what they would do; off: never act, a failure goes to a human. */
export type Autonomy = 'act' | 'shadow' | 'off';

/** What silences, maintenance windows and alert routes match a service by: its labels, name, unit and profile. */
export type ServiceLabels = Readonly<Record<string, string>>;

export interface CompiledMaintenance {
  name: string;
  matchers: readonly LabelMatcher[];
  window: WeeklyWindow;
  comment: string;
}

export interface CompiledAlertmanager {
  auth: { kind: 'bearer'; tokenEnv?: string; tokenFile?: string } | { kind: 'basic'; username: string; passwordEnv?: string; passwordFile?: string };
  routes: ReadonlyArray<{ matchers: readonly LabelMatcher[]; service: string }>;
  act: boolean;
  resolveWithinMs: number;
}

export type CompiledCheck =
  | { id: string; type: 'unit' }
  | { id: string; type: 'http'; url: string; method: 'GET' | 'HEAD'; expectStatus: number; timeoutMs: number }
  | { id: string; type: 'tcp'; host: string; port: number; timeoutMs: number }
  | { id: string; type: 'command'; argv: readonly string[]; expectExit: number; timeoutMs: number }
  | { id: string; type: 'log'; pattern: string; windowMs: number; threshold: number };

export const ADAPTER_KINDS = ['systemd', 'process'] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

/** A process the process adapter supervises (argv) or finds (pidFile). */
export interface CompiledProcess {
  argv?: readonly string[];
  pidFile?: string;
  cwd?: string;
  env: Readonly<Record<string, string>>;
  user?: string;
  logFiles: readonly string[];
  stopTimeoutMs: number;
}

export interface CompiledService {
  name: string;
  /** The handle the service's adapter knows it by: the systemd unit, or the service's name for a process. */
  unit: string;
  adapter: AdapterKind;
  process?: CompiledProcess;
  profile?: ServiceProfile;
  /** Units this service depends on, resolved from service names where they match. */
  dependsOn: readonly string[];
  runtimeFiles: readonly string[];
  configTest?: readonly string[];
  checks: readonly CompiledCheck[];
  /** Files and directories snapshotted while healthy, for restore_config. */
  configPaths: readonly string[];
  playbooks: Readonly<Record<string, readonly string[]>>;
  autonomy: Autonomy;
  /** Its configured labels plus service, unit and profile. */
  labels: ServiceLabels;
  /** Found in the failed state rather than configured: watched with its unit check only. */
  discovered: boolean;
}

export interface CompiledConfig {
  /** Where the configuration came from: a file path or "embedded default". */
  source: string;
  dataDir: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  cycle: { intervalMs: number; watchIntervalMs: number; workers: number; watchFailedUnits: boolean | 'auto' };
  verification: { settleMs: number };
  safety: {
    dryRun: boolean;
    budget: { actions: number; windowMs: number };
    rateLimit: { actions: number; windowMs: number };
    commandTimeoutMs: number;
    maxOutputBytes: number;
  };
  phases: {
    quickFix: { timeoutMs: number; minConfidence: number; restartAttempts: number; backoffMs: number };
    research: { enabled: boolean; timeoutMs: number; minConfidence: number; ladder: boolean };
    consensus: { enabled: boolean; timeoutMs: number; quorum: number };
  };
  autonomy: Autonomy;
  alertmanager?: CompiledAlertmanager;
  /** postgres: the fleet's shared store; absent, this host is on its own. */
  store: { postgres?: { urlEnv?: string; urlFile?: string; poolMax: number } };
  fleet: {
    hostName?: string;
    /** Hosts that may run the same action on the same service at once: a count, or a percentage of the hosts. */
    budget: { count: number } | { percent: number };
    leaseForMs: number;
    heartbeatMs: number;
    silentAfterMs: number;
    learnFromFleet: boolean;
  };
  maintenance: readonly CompiledMaintenance[];
  notify: {
    email?: {
      host: string;
      port: number;
      secure: boolean;
      requireTLS: boolean;
      auth?: { user: string; passwordEnv?: string; passwordFile?: string };
      from: string;
      to: readonly string[];
      timeoutMs: number;
    };
    webhooks: ReadonlyArray<{ name: string; url: string; format: 'generic' | 'slack'; secretEnv?: string; secretFile?: string; timeoutMs: number }>;
    retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
    renotify: { afterMs: number; times: number };
    dashboardUrl?: string;
  };
  escalation: { autoResolveCycles: number; flapWindowMs: number };
  /** directory unset means DATA/backups. */
  backup: { enabled: boolean; keepDays: number; directory?: string };
  /** tokenFile unset means DATA/web-token. */
  /** metricsTokenEnv / metricsTokenFile: a bearer token that opens /metrics only. */
  web: {
    enabled: boolean;
    listen: string;
    port: number;
    tokenFile?: string;
    allowedHosts: readonly string[];
    metricsPublic: boolean;
    metricsTokenEnv?: string;
    metricsTokenFile?: string;
  };
  agents: { research: CompiledAgent; systems: CompiledAgent; application: CompiledAgent; dependencies: CompiledAgent };
  host: {
    disk: { enabled: boolean; mounts: readonly string[]; maxUsedPercent: number };
    inodes: { enabled: boolean; maxUsedPercent: number };
    memory: { enabled: boolean; maxUsedPercent: number };
    cleanup: ReadonlyArray<{ path: string; olderThanMs: number }>;
  };
  services: readonly CompiledService[];
}
