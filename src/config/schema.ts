/**
 * The configuration file's schema (zod), the single source of truth for validation, defaults and the JSON
 * Schema that `orchestrator config schema` prints for editors. Every object is strict: unknown keys are errors.
 */
import { z } from 'zod/v4';
import { parseDuration } from './duration.js';
import { PROFILE_NAMES } from '../profiles/catalog.js';
import { logPatternProblem } from '../checks/log-pattern.js';

const duration = (example: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : `expected a duration such as ${example} (a number with ms, s, m, h or d)`) })
    .check((context) => {
      const text = context.value;
      const parsed = parseDuration(text);
      if (parsed === undefined || parsed <= 0) {
        context.issues.push({
          code: 'custom',
          input: text,
          message: text.trim().startsWith('-')
            ? `a duration cannot be negative (got "${text}")`
            : parsed === 0
              ? 'expected a duration greater than zero'
              : `expected a duration such as ${example} (a number with ms, s, m, h or d; got "${text}")`,
        });
      }
    })
    .describe(`A duration such as ${example}`);

const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${what}` : undefined);

const SHELL_METACHARACTERS = /[;&|`$<>\n]/;

/** A command is an argv array; a shell string is refused with a hint. */
const argv = z
  .array(z.string().min(1, { error: 'argv entries must not be empty' }), {
    error: (issue) =>
      issue.input === undefined
        ? 'required: the command as an argv array such as [redis-cli, ping]'
        : typeof issue.input === 'string'
          ? `expected an argv array such as [redis-cli, ping]; a shell string is not accepted (got "${issue.input}")`
          : 'expected an argv array such as [redis-cli, ping]',
  })
  .min(1, { error: 'expected at least the program name' })
  .refine((items) => !SHELL_METACHARACTERS.test(items[0] ?? ''), {
    error: 'the program name contains shell syntax; give the command as an argv array such as [redis-cli, ping]',
  })
  .describe('A command as an argv array, run without a shell');

const absolutePath = z
  .string()
  .refine((path) => path.startsWith('/') && !path.split('/').includes('..'), {
    error: 'expected an absolute path without ".."',
  });

const percent = z.number().min(1).max(100);

const httpCheck = z
  .object({
    type: z.literal('http'),
    name: z.string().optional(),
    url: z.url({ protocol: /^https?$/, error: (issue) => required('the URL to probe')(issue) ?? 'expected an http:// or https:// URL' }),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeout: duration('2s').default('2s'),
  })
  .strict();

const tcpCheck = z
  .object({
    type: z.literal('tcp'),
    name: z.string().optional(),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number({ error: (issue) => required('the port to connect to')(issue) ?? 'expected a port number' }).int().min(1).max(65535),
    timeout: duration('1s').default('1s'),
  })
  .strict();

const commandCheck = z
  .object({
    type: z.literal('command'),
    name: z.string().optional(),
    argv,
    expectExit: z.number().int().min(0).max(255).default(0),
    timeout: duration('5s').default('5s'),
  })
  .strict();

const logCheck = z
  .object({
    type: z.literal('log'),
    name: z.string().optional(),
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
        port: z.number({ error: (issue) => required('the SMTP port')(issue) ?? 'expected a port number' }).int().min(1).max(65535).default(587),
        /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
        secure: z.boolean().default(false),
        /** Refuse to send unless the connection is upgraded with STARTTLS. */
        requireTLS: z.boolean().default(false),
        auth: z.object({ user: z.string().min(1), passwordEnv: envName.optional(), passwordFile: absolutePath.optional() }).strict().optional(),
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
    renotify: z.object({ after: duration('1h').default('1h'), times: z.number().int().min(0).max(20).default(3) }).strict().prefault({}),
    /** Shown in messages so people can follow a link (the dashboard). */
    dashboardUrl: z.url().optional(),
  })
  .strict();

const autonomy = z.enum(['act', 'shadow'], { error: 'expected act or shadow' });

const serviceSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, { error: 'expected a name of letters, digits, . _ @ -' }),
    unit: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@:\\-]*$/, { error: 'expected a systemd unit name such as nginx.service' })
      .optional(),
    profile: z.enum(PROFILE_NAMES as [string, ...string[]], { error: `expected one of the known profiles` }).optional(),
    /** Other services (by name) or units this service needs; when one is down it is fixed first. */
    dependsOn: z.array(z.string().min(1)).default([]),
    runtimeFiles: z.array(absolutePath).default([]),
    configTest: argv.optional(),
    /** Configuration files or directories snapshotted while healthy (last-known-good); the profile's by default. */
    configPaths: z.array(absolutePath).optional(),
    /** Named commands an agent may choose with run_playbook. */
    playbooks: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a playbook name of letters, digits, _ and -' }), argv).default({}),
    /** act (default) or shadow: phases 2 and 3 record what they would do without acting. */
    autonomy: autonomy.optional(),
    /** Skip the profile's liveness probe. */
    profileChecks: z.boolean().default(true),
    checks: z.array(checkSchema).default([]),
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
    inodes: z.object({ enabled: z.boolean().default(true), maxUsedPercent: percent.default(90) }).strict().prefault({}),
    memory: z.object({ enabled: z.boolean().default(true), maxUsedPercent: percent.default(95) }).strict().prefault({}),
    /** Allow-listed directories that may be cleaned of old files when the filesystem they are on is full. */
    cleanup: z
      .array(z.object({ path: absolutePath, olderThan: duration('1d').default('1d') }).strict())
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
    verification: z.object({ settle: duration('1s').default('1s') }).strict().prefault({}),
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
        maxOutputBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
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
    /** act (default) or shadow for every service (a service's own setting wins). */
    autonomy: autonomy.default('act'),
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
    services: z.array(serviceSchema).default([]),
  })
  .strict();

/**
 * Checks across entries (duplicate names, a service with neither unit nor profile). They run on the raw input
 * so that they are reported together with the schema's problems, not only once those are fixed.
 */
export function crossCheckProblems(raw: unknown): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const services = (raw as { services?: unknown })?.services;
  if (!Array.isArray(services)) return problems;
  const seen = new Map<string, number>();
  services.forEach((service: unknown, index) => {
    if (!service || typeof service !== 'object') return;
    const { name, unit, profile } = service as { name?: unknown; unit?: unknown; profile?: unknown };
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first !== undefined) problems.push({ path: ['services', index, 'name'], message: `duplicate service name "${name}" (also services[${first}])` });
      else seen.set(name, index);
    }
    if (unit === undefined && profile === undefined) {
      problems.push({ path: ['services', index], message: 'a service needs a unit (such as nginx.service) or a profile to find it by' });
    }
  });
  return problems;
}

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type CheckConfig = z.output<typeof checkSchema>;


/** The JSON Schema of the configuration file, for editors. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
