/**
 * The configuration file's schema (zod), the single source of truth for validation, defaults and the JSON
 * Schema that `orchestrator config schema` prints for editors. Every object is strict: unknown keys are errors.
 */
import { z } from 'zod/v4';
import { parseDuration } from './duration.js';
import { PROFILE_NAMES } from '../profiles/catalog.js';
import { didYouMean } from './did-you-mean.js';
import { logPatternProblem } from '../core/log-pattern.js';
import { MAX_MATCHER_LENGTH, matcherProblem } from '../core/label-matchers.js';
import { isTimeZone } from '../core/schedule.js';
import { lstatSync, realpathSync } from 'node:fs';
import { forbiddenRootReason, forbiddenRuntimeFileReason, normalizeAbsolute } from '../core/path-policy.js';

/** Size limits: a huge configuration is refused by these before it costs much to validate. */
export const LIMITS = {
  services: 1000,
  checksPerService: 100,
  runtimeFiles: 100,
  dependsOn: 50,
  cleanup: 100,
  nameLength: 128,
  unitLength: 256,
  pathLength: 4096,
} as const;

/**
 * A value from the file as it may appear in a message: short printable text is quoted, anything else is only
 * described, so a file that is not a configuration (a key file, /etc/shadow) is never echoed to the terminal.
 */
export function shown(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= 40 && /^[\x20-\x7e]*$/.test(value) ? JSON.stringify(value) : `a ${value.length}-character value, not shown`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : typeof value;
}

/** A service name, also accepted in dependsOn. */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;
/** A systemd unit name with its type, as accepted in dependsOn. */
export const DEPENDENCY_UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@:\\-]*\.(service|socket|timer|target|mount|path)$/;

const duration = (example: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : `expected a duration such as ${example}, 1h30m or 90min (numbers with ms, s, m, h, d or w)`) })
    .check((context) => {
      const text = context.value;
      const parsed = parseDuration(text);
      if (parsed === undefined || parsed <= 0) {
        context.issues.push({
          code: 'custom',
          input: text,
          message: text.trim().startsWith('-')
            ? `a duration cannot be negative (got ${shown(text)})`
            : parsed === 0
              ? 'expected a duration greater than zero'
              : `expected a duration such as ${example}, 1h30m or 90min (numbers with ms, s, m, h, d or w; got ${shown(text)})`,
        });
      }
    })
    .describe(`A duration such as ${example}`);

const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${what}` : undefined);

const SHELL_METACHARACTERS = /[;&|`$<>\n]/;

/** A command is an argv array; a shell string is refused with a hint. */
const argv = z
  .array(
    z
      .string()
      .min(1, { error: 'argv entries must not be empty' })
      .max(LIMITS.pathLength, { error: `argv entries are at most ${LIMITS.pathLength} characters` }),
    {
      error: (issue) =>
        issue.input === undefined
          ? 'required: the command as an argv array such as [redis-cli, ping]'
          : typeof issue.input === 'string'
            ? `expected an argv array such as [redis-cli, ping]; a shell string is not accepted (got ${shown(issue.input)})`
            : 'expected an argv array such as [redis-cli, ping]',
    },
  )
  .min(1, { error: 'expected at least the program name' })
  .max(256, { error: 'expected at most 256 argv entries' })
  .refine((items) => !SHELL_METACHARACTERS.test(items[0] ?? ''), {
    error: 'the program name contains shell syntax; give the command as an argv array such as [redis-cli, ping]',
  })
  .describe('A command as an argv array, run without a shell');

const absolutePath = z
  .string()
  .max(LIMITS.pathLength, { error: `expected a path of at most ${LIMITS.pathLength} characters` })
  .refine((path) => path.startsWith('/') && !path.split('/').includes('..'), {
    error: 'expected an absolute path without ".."',
  });

const percent = z.number().min(1).max(100);

/** A check's own name (its id in reports); the type is used when none is given. */
const checkName = z
  .string()
  .max(LIMITS.nameLength, { error: `expected a check name of at most ${LIMITS.nameLength} characters` })
  .optional();

const httpCheck = z
  .object({
    type: z.literal('http'),
    name: checkName,
    url: z.url({ protocol: /^https?$/, error: (issue) => required('the URL to probe')(issue) ?? 'expected an http:// or https:// URL' }),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeout: duration('2s').default('2s'),
  })
  .strict();

const tcpCheck = z
  .object({
    type: z.literal('tcp'),
    name: checkName,
    host: z.string().min(1).default('127.0.0.1'),
    port: z
      .number({ error: (issue) => required('the port to connect to')(issue) ?? 'expected a port number' })
      .int()
      .min(1)
      .max(65535),
    timeout: duration('1s').default('1s'),
  })
  .strict();

const commandCheck = z
  .object({
    type: z.literal('command'),
    name: checkName,
    argv,
    expectExit: z.number().int().min(0).max(255).default(0),
    timeout: duration('5s').default('5s'),
  })
  .strict();

const logCheck = z
  .object({
    type: z.literal('log'),
    name: checkName,
    pattern: z
      .string({ error: (issue) => required('the regular expression to look for')(issue) ?? 'expected a regular expression' })
      .min(1)
      .check((context) => {
        const problem = logPatternProblem(context.value);
        if (problem) context.issues.push({ code: 'custom', input: context.value, message: problem });
      }),
    window: duration('5m').default('5m'),
    /** How many matching lines within the window make the check fail. */
    threshold: z.number().int().min(1).default(1),
  })
  .strict();

export const checkSchema = z.discriminatedUnion('type', [httpCheck, tcpCheck, commandCheck, logCheck], {
  error: 'expected a check with type http, tcp, command or log',
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' });

/** One agent backend. Keys come from the environment or a file, never from this file. */
export const agentSchema = z.discriminatedUnion(
  'backend',
  [
    z.object({ backend: z.literal('heuristic') }).strict(),
    z
      .object({
        backend: z.literal('command'),
        /** e.g. [claude, -p, --output-format, json, --tools, ""]: the prompt arrives on stdin, a JSON verdict is read from stdout. */
        argv,
        timeout: duration('2m').default('2m'),
      })
      .strict(),
    z
      .object({
        backend: z.literal('openai'),
        baseURL: z.url({ protocol: /^https?$/, error: (issue) => required('the server URL, such as http://127.0.0.1:11434/v1')(issue) ?? 'expected an http:// or https:// URL' }),
        model: z.string({ error: (issue) => required('the model name')(issue) ?? 'expected a model name' }).min(1),
        apiKeyEnv: envName.optional(),
        apiKeyFile: absolutePath.optional(),
        timeout: duration('2m').default('2m'),
      })
      .strict(),
    z
      .object({
        backend: z.literal('anthropic'),
        model: z.string({ error: (issue) => required('the model name')(issue) ?? 'expected a model name' }).min(1),
        baseURL: z.url({ protocol: /^https?$/ }).optional(),
        apiKeyEnv: envName.default('ANTHROPIC_API_KEY'),
        apiKeyFile: absolutePath.optional(),
        timeout: duration('2m').default('2m'),
      })
      .strict(),
  ],
  { error: 'expected an agent with backend heuristic, command, openai or anthropic' },
);
export type AgentConfig = z.output<typeof agentSchema>;

const email = z.string().regex(/^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/, { error: 'expected an email address such as oncall@example.com' });

/** Where escalations are sent. Secrets (SMTP password, webhook HMAC secret) come from the environment or a file. */
const notifySchema = z
  .object({
    email: z
      .object({
        host: z.string({ error: (issue) => required('the SMTP server host')(issue) ?? 'expected a host name' }).min(1),
        port: z
          .number({ error: (issue) => required('the SMTP port')(issue) ?? 'expected a port number' })
          .int()
          .min(1)
          .max(65535)
          .default(587),
        /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
        secure: z.boolean().default(false),
        /** Refuse to send unless the connection is upgraded with STARTTLS. */
        requireTLS: z.boolean().default(false),
        auth: z
          .object({ user: z.string().min(1), passwordEnv: envName.optional(), passwordFile: absolutePath.optional() })
          .strict()
          .optional(),
        from: email,
        to: z.array(email).min(1, { error: 'expected at least one recipient' }),
        timeout: duration('10s').default('10s'),
      })
      .strict()
      .optional(),
    webhooks: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a name of letters, digits, _ and -' }),
            url: z.url({ protocol: /^https?$/, error: (issue) => required('the webhook URL')(issue) ?? 'expected an http:// or https:// URL' }),
            /** generic: the documented JSON schema (versioned); slack: a Slack-compatible payload. */
            format: z.enum(['generic', 'slack']).default('generic'),
            /** HMAC-SHA256 of the body in the X-Orchestrator-Signature header, with the secret from the environment or a file. */
            secretEnv: envName.optional(),
            secretFile: absolutePath.optional(),
            timeout: duration('5s').default('5s'),
          })
          .strict(),
      )
      .default([]),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(100).default(8),
        initialDelay: duration('10s').default('10s'),
        maxDelay: duration('30m').default('30m'),
      })
      .strict()
      .prefault({}),
    /** Remind about an escalation nobody acknowledged, after this long, at most this many times. */
    renotify: z
      .object({ after: duration('1h').default('1h'), times: z.number().int().min(0).max(20).default(3) })
      .strict()
      .prefault({}),
    /** Shown in messages so people can follow a link (the dashboard). */
    dashboardUrl: z.url().optional(),
  })
  .strict();

const autonomy = z.enum(['act', 'shadow', 'off'], { error: 'expected act, shadow or off' });

/** A label matcher as Alertmanager writes it: service="web", job=~"api|worker", env!="test". */
const matcher = z
  .string()
  .max(MAX_MATCHER_LENGTH, { error: `expected a matcher of at most ${MAX_MATCHER_LENGTH} characters` })
  .check((context) => {
    const problem = matcherProblem(context.value);
    if (problem) context.issues.push({ code: 'custom', input: context.value, message: problem });
  });

const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: 'expected a label name of letters, digits and _' });

/**
 * Where the daemons of a fleet share their state. Without it each host is on its own (its SQLite stores only);
 * with it, each host's rows are replicated to one PostgreSQL and the fleet coordinates through it.
 */
const storeSchema = z
  .object({
    postgres: z
      .object({
        /** The connection URL (postgres://user:password@host/db) from this variable, or */
        urlEnv: envName.optional(),
        /** from this file (mode 0600; the first line). */
        urlFile: absolutePath.optional(),
        /** Connections in the pool. */
        poolMax: z.number().int().min(1).max(32).default(4),
      })
      .strict()
      .refine((postgres) => (postgres.urlEnv === undefined) !== (postgres.urlFile === undefined), { error: 'give the connection URL as urlEnv or urlFile (one of them)' }),
  })
  .strict();

/** How the hosts of a fleet work together (used with store.postgres). */
const fleetSchema = z
  .object({
    /** The name people know this host by (default: its hostname). Its id is kept in DATA/host-id. */
    hostName: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, { error: 'expected a host name (letters, digits, _ . : -)' })
      .optional(),
    /** At most this many hosts run the same action on the same service at once: a count, or a percentage of the hosts. */
    budget: z
      .union([z.number().int().min(1).max(10_000), z.string().regex(/^(100|[1-9][0-9]?)%$/, { error: 'expected a count such as 1 or a percentage such as 25%' })])
      .default(1),
    /** How long a fleet lease lasts unless renewed (its holder renews it while it acts): a daemon that dies holding one frees it after this; a host waits at most this long for one. */
    leaseFor: duration('2m').default('2m'),
    /** How often each daemon reports that it is alive. */
    heartbeat: duration('30s').default('30s'),
    /** A host not heard from for this long becomes one escalation, raised by another daemon. */
    silentAfter: duration('5m').default('5m'),
    /** Phase 1 also tries what fixed the same fault on other hosts (same service name or profile). */
    learnFromFleet: z.boolean().default(true),
  })
  .strict();

/** Alertmanager's webhook receiver (POST /api/alertmanager) and how its alerts map to services. */
const alertmanagerSchema = z
  .object({
    /** The credential Alertmanager's http_config sends: a bearer token, or basic auth, from the environment or a file. */
    auth: z.union(
      [
        z.object({ bearerTokenEnv: envName.optional(), bearerTokenFile: absolutePath.optional() }).strict(),
        z.object({ username: z.string().min(1).max(128), passwordEnv: envName.optional(), passwordFile: absolutePath.optional() }).strict(),
      ],
      { error: 'expected { bearerTokenEnv | bearerTokenFile } or { username, passwordEnv | passwordFile }' },
    ),
    /**
     * Which service an alert is for: the first route whose matchers all hold; without one, the alert's `service`
     * label (or its `unit` label) when it names a managed service. Anything else is recorded and ignored.
     */
    routes: z
      .array(
        z
          .object({
            matchers: z.array(matcher).min(1, { error: 'expected at least one matcher' }).max(20),
            service: z.string().regex(SERVICE_NAME, { error: 'expected the name of a configured service' }),
          })
          .strict(),
      )
      .max(200)
      .default([]),
    /** Firing alerts open tasks and are remediated (default); false records them only. */
    act: z.boolean().default(true),
    /** After a fix, a repeat of the same still-firing alert waits this long for Alertmanager's resolved before it counts as a new failure. */
    resolveWithin: duration('10m').default('10m'),
  })
  .strict();

const timeOfDay = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { error: 'expected a time of day such as 02:00 (24-hour HH:MM)' });
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], { error: 'expected mon, tue, wed, thu, fri, sat or sun' });

/** A recurring maintenance window: on these days, from one time of day to another, in a time zone. */
const maintenanceSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected a name of letters, digits, _ . and -' }),
    /** Which services: service="web", team="db" (a service's labels, name, unit and profile). */
    matchers: z.array(matcher).min(1, { error: 'expected at least one matcher, such as service="web"' }).max(20),
    days: z.array(weekday).min(1).max(7).default(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
    from: timeOfDay,
    /** Before `from` means the window ends the next day (22:00 to 02:00). */
    to: timeOfDay,
    timeZone: z
      .string()
      .default('UTC')
      .refine((zone) => isTimeZone(zone), { error: 'expected an IANA time zone such as Europe/Berlin or UTC' }),
    comment: z.string().max(500).default(''),
  })
  .strict()
  .refine((window) => window.from !== window.to, { error: 'from and to must differ' });

const dependency = z
  .string()
  .max(LIMITS.unitLength, { error: `expected a service or unit name of at most ${LIMITS.unitLength} characters` })
  .refine((name) => (SERVICE_NAME.test(name) && name.length <= LIMITS.nameLength) || DEPENDENCY_UNIT_NAME.test(name), {
    error: 'expected the name of another service (letters, digits, . _ @ -) or a unit such as redis-server.service; it cannot start with - or .',
  });

/** A service the daemon runs itself (hosts without systemd, `orchestrator demo`), or finds by its pid file. */
const processSchema = z
  .object({
    /** The command the daemon starts and supervises as a child in its own process group. */
    argv: argv.optional(),
    /** Where an already running process writes its pid (then the daemon watches it; with argv it can restart it). */
    pidFile: absolutePath.optional(),
    cwd: absolutePath.optional(),
    env: z.record(envName, z.string().max(LIMITS.pathLength)).default({}),
    /** Run as this user (the daemon must be root to change user). */
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'expected a user name' })
      .optional(),
    /** Log files the service writes; its captured stdout and stderr are kept too. */
    logFiles: z.array(absolutePath).max(20).default([]),
    /** How long a stop waits after SIGTERM before SIGKILL. */
    stopTimeout: duration('10s').default('10s'),
  })
  .strict()
  .refine((value) => value.argv !== undefined || value.pidFile !== undefined, { error: 'a process needs argv (to run it) or a pidFile (to find it)' });

const serviceSchema = z
  .object({
    name: z
      .string()
      .max(LIMITS.nameLength, { error: `expected a name of at most ${LIMITS.nameLength} characters` })
      .regex(SERVICE_NAME, { error: 'expected a name of letters, digits, . _ @ -' }),
    unit: z
      .string()
      .max(LIMITS.unitLength, { error: `expected a unit name of at most ${LIMITS.unitLength} characters` })
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@:\\-]*$/, { error: 'expected a systemd unit name such as nginx.service' })
      .optional(),
    /** Which adapter manages it: systemd (the default) or process (with a process: block). */
    adapter: z.enum(['systemd', 'process'], { error: 'expected systemd or process' }).optional(),
    process: processSchema.optional(),
    profile: z.enum(PROFILE_NAMES as [string, ...string[]], { error: (issue) => `expected one of the known profiles${didYouMean(issue.input, PROFILE_NAMES)}` }).optional(),
    /** Other services (by name) or units this service needs; when one is down it is fixed first. */
    dependsOn: z
      .array(dependency)
      .max(LIMITS.dependsOn, { error: `at most ${LIMITS.dependsOn} dependencies` })
      .default([]),
    runtimeFiles: z
      .array(absolutePath)
      .max(LIMITS.runtimeFiles, { error: `at most ${LIMITS.runtimeFiles} runtime files` })
      .default([]),
    configTest: argv.optional(),
    /** Configuration files or directories snapshotted while healthy (last-known-good); the profile's by default. */
    configPaths: z.array(absolutePath).max(100, { error: 'at most 100 configuration paths' }).optional(),
    /** Named commands an agent may choose with run_playbook. */
    playbooks: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a playbook name of letters, digits, _ and -' }), argv).default({}),
    /** act (default), shadow (phases 2 and 3 record what they would do without acting) or off (never act; tell a human). */
    autonomy: autonomy.optional(),
    /** Labels for silences, maintenance windows and alert routes (name, unit and profile are labels already). */
    labels: z
      .record(labelName, z.string().max(256))
      .refine((labels) => Object.keys(labels).length <= 32, { error: 'at most 32 labels' })
      .default({}),
    /** Skip the profile's liveness probe. */
    profileChecks: z.boolean().default(true),
    checks: z
      .array(checkSchema)
      .max(LIMITS.checksPerService, { error: `at most ${LIMITS.checksPerService} checks per service` })
      .default([]),
  })
  .strict();

const hostSchema = z
  .object({
    disk: z
      .object({
        enabled: z.boolean().default(true),
        mounts: z.array(absolutePath).min(1).default(['/']),
        maxUsedPercent: percent.default(90),
      })
      .strict()
      .prefault({}),
    inodes: z
      .object({ enabled: z.boolean().default(true), maxUsedPercent: percent.default(90) })
      .strict()
      .prefault({}),
    memory: z
      .object({ enabled: z.boolean().default(true), maxUsedPercent: percent.default(95) })
      .strict()
      .prefault({}),
    /** Allow-listed directories that may be cleaned of old files when the filesystem they are on is full. */
    cleanup: z
      .array(z.object({ path: absolutePath, olderThan: duration('1d').default('1d') }).strict())
      .max(LIMITS.cleanup, { error: `at most ${LIMITS.cleanup} cleanup directories` })
      .default([]),
  })
  .strict();

export const configSchema = z
  .object({
    dataDir: absolutePath.optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    cycle: z
      .object({
        interval: duration('5m').default('5m'),
        watchInterval: duration('1s').default('1s'),
        workers: z.number().int().min(1).max(64).default(4),
        /** Treat every systemd unit in the failed state as an issue: auto = when systemd is PID 1. */
        watchFailedUnits: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      })
      .strict()
      .prefault({}),
    verification: z
      .object({ settle: duration('1s').default('1s') })
      .strict()
      .prefault({}),
    safety: z
      .object({
        dryRun: z.boolean().default(false),
        budget: z
          .object({ actions: z.number().int().min(1).default(3), window: duration('15m').default('15m') })
          .strict()
          .prefault({}),
        rateLimit: z
          .object({ actions: z.number().int().min(1).default(30), window: duration('1m').default('1m') })
          .strict()
          .prefault({}),
        commandTimeout: duration('30s').default('30s'),
        maxOutputBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(64 * 1024),
      })
      .strict()
      .prefault({}),
    phases: z
      .object({
        quickFix: z
          .object({
            timeout: duration('30s').default('30s'),
            minConfidence: z.number().min(0).max(1).default(0.3),
            restartAttempts: z.number().int().min(0).max(5).default(2),
            backoff: duration('2s').default('2s'),
          })
          .strict()
          .prefault({}),
        research: z
          .object({
            enabled: z.boolean().default(true),
            timeout: duration('5m').default('5m'),
            minConfidence: z.number().min(0).max(1).default(0.7),
            ladder: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
        consensus: z
          .object({
            enabled: z.boolean().default(true),
            timeout: duration('5m').default('5m'),
            quorum: z.number().int().min(1).max(3).default(2),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    host: hostSchema.prefault({}),
    notify: notifySchema.prefault({}),
    /** Daily online backups of both databases (SQLite's backup API), kept this many days. */
    backup: z
      .object({
        enabled: z.boolean().default(true),
        keepDays: z.number().int().min(1).max(365).default(7),
        /** Default DATA/backups. */
        directory: absolutePath.optional(),
      })
      .strict()
      .prefault({}),
    /** The dashboard, HTTP API and metrics, served by `orchestrator run` (and `orchestrator dashboard`). */
    web: z
      .object({
        enabled: z.boolean().default(true),
        /** 127.0.0.1 by default: another address only when you mean it. */
        listen: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8888),
        /** Where the access token is kept; generated (mode 0600) at first start when missing. Default DATA/web-token. */
        tokenFile: absolutePath.optional(),
        /** Extra Host header names accepted (besides the listen address, localhost and 127.0.0.1). */
        allowedHosts: z.array(z.string().min(1)).default([]),
        /** Serve /metrics without the token (for a local Prometheus). */
        metricsPublic: z.boolean().default(false),
        /**
         * A bearer token that opens /metrics only (Prometheus' `authorization: { credentials_file: ... }`), from
         * this environment variable, else from the file (read at each scrape, so it can be rotated in place).
         * The dashboard token opens /metrics too.
         */
        metricsTokenEnv: envName.optional(),
        metricsTokenFile: absolutePath.optional(),
      })
      .strict()
      .prefault({}),
    escalation: z
      .object({
        /** Consecutive healthy full cycles after which an escalation is auto-resolved. */
        autoResolveCycles: z.number().int().min(1).max(100).default(3),
        /** A service failing again within this window of its last escalation reopens it (flapping) instead of a new one. */
        flapWindow: duration('1h').default('1h'),
      })
      .strict()
      .prefault({}),
    /** act (default), shadow or off for every service (a service's own setting wins; `orchestrator autonomy` overrides both). */
    autonomy: autonomy.default('act'),
    /** Receive Alertmanager's webhooks: alerts for managed services open their tasks. */
    alertmanager: alertmanagerSchema.optional(),
    /** A shared store for a fleet of hosts (PostgreSQL); without it, this host's own SQLite stores only. */
    store: storeSchema.optional(),
    fleet: fleetSchema.prefault({}),
    /** Recurring maintenance windows: detection goes on, nothing is done or sent for the services they match. */
    maintenance: z.array(maintenanceSchema).max(100).default([]),
    agents: z
      .object({
        /** Phase 2's agent. */
        research: agentSchema.prefault({ backend: 'heuristic' }),
        /** Phase 3's three perspectives; each may use a different backend. */
        systems: agentSchema.prefault({ backend: 'heuristic' }),
        application: agentSchema.prefault({ backend: 'heuristic' }),
        dependencies: agentSchema.prefault({ backend: 'heuristic' }),
      })
      .strict()
      .prefault({}),
    services: z
      .array(serviceSchema)
      .max(LIMITS.services, { error: `at most ${LIMITS.services} services` })
      .default([]),
  })
  .strict();

/** A problem found on the raw input, at its key path. */
export interface RawProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * Checks across entries (duplicate names, a service with neither unit nor profile) and the path policy (no
 * cleanup directory or runtime file in a system directory or the data directory `dataDir`). They run on the raw
 * input so that they are reported together with the schema's problems, not only once those are fixed.
 */
export function crossCheckProblems(raw: unknown, dataDir?: string): RawProblem[] {
  const problems: RawProblem[] = [...pathPolicyProblems(raw, dataDir)];
  const services = (raw as { services?: unknown })?.services;
  if (!Array.isArray(services)) return problems;
  const seen = new Map<string, number>();
  services.forEach((service: unknown, index) => {
    if (!service || typeof service !== 'object') return;
    const { name, unit, profile, adapter, process } = service as { name?: unknown; unit?: unknown; profile?: unknown; adapter?: unknown; process?: unknown };
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first !== undefined) problems.push({ path: ['services', index, 'name'], message: `duplicate service name ${shown(name)} (also services[${first}])` });
      else seen.set(name, index);
    }
    if (adapter === 'process' && process === undefined) {
      problems.push({ path: ['services', index, 'adapter'], message: 'adapter: process needs a process: block with argv or pidFile' });
    } else if (process !== undefined && adapter === 'systemd') {
      problems.push({ path: ['services', index, 'process'], message: 'a process: block is for adapter: process; a systemd service is found by its unit' });
    } else if (unit === undefined && profile === undefined && process === undefined) {
      problems.push({ path: ['services', index], message: 'a service needs a unit (such as nginx.service), a profile, or a process: block to find it by' });
    }
  });
  return problems;
}

/**
 * Cleanup directories and runtime files that name a system directory or the data directory, refused with the
 * policy's reason. A cleanup directory that exists is judged by where it really is, so a link to /etc is refused
 * here, not only when the executor resolves it.
 */
function pathPolicyProblems(raw: unknown, dataDir: string | undefined): RawProblem[] {
  const problems: RawProblem[] = [];
  const cleanup = (raw as { host?: { cleanup?: unknown } })?.host?.cleanup;
  if (Array.isArray(cleanup)) {
    // Beyond the limit the schema refuses the list anyway: no need to look at the file system for each entry.
    cleanup.slice(0, LIMITS.cleanup).forEach((entry: unknown, index) => {
      const directory = (entry as { path?: unknown })?.path;
      if (typeof directory !== 'string' || normalizeAbsolute(directory) === undefined) return;
      const reason = forbiddenRootReason(directory, dataDir) ?? linkedRootReason(directory, dataDir);
      if (reason) problems.push({ path: ['host', 'cleanup', index, 'path'], message: `not allowed as a cleanup directory: ${reason}` });
    });
  }
  const services = (raw as { services?: unknown })?.services;
  if (Array.isArray(services)) {
    services.slice(0, LIMITS.services).forEach((service: unknown, serviceIndex) => {
      const files = (service as { runtimeFiles?: unknown })?.runtimeFiles;
      if (!Array.isArray(files)) return;
      files.slice(0, LIMITS.runtimeFiles).forEach((file: unknown, index) => {
        if (typeof file !== 'string' || normalizeAbsolute(file) === undefined) return;
        const reason = forbiddenRuntimeFileReason(file, dataDir);
        if (reason) problems.push({ path: ['services', serviceIndex, 'runtimeFiles', index], message: `not allowed as a runtime file: ${reason}` });
      });
    });
  }
  return problems;
}

/** Why an existing `directory` that resolves elsewhere (through a symbolic link) may not be a root; undefined when it may. */
function linkedRootReason(directory: string, dataDir: string | undefined): string | undefined {
  try {
    lstatSync(directory);
  } catch {
    return undefined; // Not there (yet): the executor judges it again when it acts.
  }
  let real: string;
  try {
    real = realpathSync(directory);
  } catch {
    return `${directory} cannot be resolved (a broken symbolic link?): name a real directory`;
  }
  if (real === normalizeAbsolute(directory)) return undefined;
  const reason = forbiddenRootReason(real, dataDir);
  return reason && `${directory} resolves to ${real} through a symbolic link, and ${reason}`;
}

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type CheckConfig = z.output<typeof checkSchema>;

/** The JSON Schema of the configuration file, for editors. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
