/**
 * `orchestrator doctor`: checks an installation the way an operator would, and says what is wrong and how to
 * fix it: the unit and what its sandbox lets the daemon write, the configuration and the secrets it names, the
 * data directory and its permissions, the databases, the dashboard token, the notification channels (reachable,
 * not sent to), and the agent backends.
 */
import { existsSync, statSync, accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CompiledAgent, CompiledConfig } from '../config/compiled.js';
import type { CommandRunner } from '../core/ports.js';
import { isLockHeld } from '../runtime/instance-lock.js';
import { UNIT_NAME } from './installer.js';
import { sandboxChecks, secretChecks } from './doctor-unit.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** How to fix it, when not ok. */
  fix?: string;
  /** A warning does not fail the doctor. */
  warning?: boolean;
}

export async function runDoctor(config: CompiledConfig, options: { runner: CommandRunner; systemd: boolean }): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [{ name: 'configuration', ok: true, detail: `${config.source} is valid (${config.services.length} service(s))` }];
  if (options.systemd) {
    const shown = await options.runner.run(['systemctl', 'show', '--property=LoadState,ActiveState,UnitFileState', '--', UNIT_NAME], { timeoutMs: 10_000 });
    const values = Object.fromEntries(
      shown.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=') as [string, string]),
    );
    const loaded = values.LoadState === 'loaded';
    checks.push({
      name: 'systemd unit',
      ok: loaded && values.ActiveState === 'active',
      detail: loaded ? `${UNIT_NAME} is ${values.ActiveState} (${values.UnitFileState})` : `${UNIT_NAME} is not installed`,
      fix: loaded ? `systemctl start ${UNIT_NAME}; journalctl -u ${UNIT_NAME} -n 50` : 'orchestrator install',
      warning: !loaded,
    });
    if (loaded) checks.push(...(await sandboxChecks(config, UNIT_NAME, options.runner)));
    checks.push(...(await secretChecks(config, loaded ? UNIT_NAME : undefined, options.runner)));
  } else {
    checks.push({ name: 'systemd', ok: true, warning: true, detail: 'systemd is not the init system here: the unit cannot be checked' });
    checks.push(...(await secretChecks(config, undefined, options.runner)));
  }
  checks.push(dataDirCheck(config.dataDir));
  for (const name of ['tasks.db', 'escalations.db']) checks.push(databaseCheck(path.join(config.dataDir, name)));
  checks.push({
    name: 'daemon',
    ok: isLockHeld(config.dataDir),
    detail: isLockHeld(config.dataDir) ? 'a daemon holds the data directory' : 'no daemon is running on this data directory',
    fix: 'systemctl start autonomous-orchestrator (or orchestrator run)',
    warning: true,
  });
  const tokenFile = config.web.tokenFile ?? path.join(config.dataDir, 'web-token');
  if (config.web.enabled && existsSync(tokenFile)) {
    const mode = statSync(tokenFile).mode & 0o777;
    checks.push({ name: 'dashboard token', ok: (mode & 0o077) === 0, detail: `${tokenFile} has mode ${mode.toString(8)}`, fix: `chmod 600 ${tokenFile}` });
  }
  if (config.notify.email) {
    const { host, port } = config.notify.email;
    checks.push(await reachable(`email server ${host}:${port}`, host, port, 'check notify.email.host and port, and the firewall'));
  }
  for (const webhook of config.notify.webhooks) {
    const url = new URL(webhook.url);
    checks.push(
      await reachable(
        `webhook ${webhook.name} (${url.host})`,
        url.hostname,
        Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        'check notify.webhooks URL and the network',
      ),
    );
  }
  if (!config.notify.email && config.notify.webhooks.length === 0) {
    checks.push({
      name: 'notifications',
      ok: true,
      warning: true,
      detail: 'no email or webhook configured: escalations reach only the dashboard and the CLI',
      fix: 'configure notify.email or notify.webhooks',
    });
  }
  for (const [role, agent] of Object.entries(config.agents)) checks.push(await agentCheck(role, agent));
  return checks;
}

function dataDirCheck(dataDir: string): DoctorCheck {
  if (!existsSync(dataDir)) return { name: 'data directory', ok: false, detail: `${dataDir} does not exist`, fix: 'orchestrator install (or start the daemon once)' };
  const info = statSync(dataDir);
  const mode = info.mode & 0o777;
  try {
    accessSync(dataDir, constants.W_OK);
  } catch {
    return { name: 'data directory', ok: false, detail: `${dataDir} is not writable`, fix: `chown root ${dataDir}; chmod 700 ${dataDir}` };
  }
  const private_ = (mode & 0o077) === 0;
  return { name: 'data directory', ok: private_, detail: `${dataDir}, mode ${mode.toString(8)}, owner uid ${info.uid}`, fix: `chmod 700 ${dataDir}` };
}

function databaseCheck(file: string): DoctorCheck {
  if (!existsSync(file)) return { name: path.basename(file), ok: true, warning: true, detail: `${file} does not exist yet (created at the first start)` };
  try {
    const database = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const result = database.pragma('quick_check', { simple: true });
      return {
        name: path.basename(file),
        ok: result === 'ok',
        detail: `${file}: quick_check ${String(result)}`,
        fix: 'restore the newest backup: orchestrator restore DATA/backups/...',
      };
    } finally {
      database.close();
    }
  } catch (error) {
    return { name: path.basename(file), ok: false, detail: `${file}: ${(error as Error).message}`, fix: 'restore the newest backup: orchestrator restore DATA/backups/...' };
  }
}

function reachable(name: string, host: string, port: number, fix: string): Promise<DoctorCheck> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean, detail: string) => {
      socket.destroy();
      resolve({ name, ok, detail, fix: ok ? undefined : fix });
    };
    socket.setTimeout(5_000, () => done(false, 'no answer within 5 s'));
    socket.once('connect', () => done(true, 'accepts connections'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(false, error.code ?? error.message));
  });
}

async function agentCheck(role: string, agent: CompiledAgent): Promise<DoctorCheck> {
  const name = `agent ${role}`;
  switch (agent.backend) {
    case 'heuristic':
      return { name, ok: true, detail: 'heuristic rules (built in, offline; not a language model)' };
    case 'command': {
      const program = agent.argv[0]!;
      const found = program.includes('/') ? existsSync(program) : (process.env.PATH ?? '').split(':').some((directory) => existsSync(path.join(directory, program)));
      return { name, ok: found, detail: found ? `command ${program} is installed` : `command ${program} was not found`, fix: `install ${program} or change agents.${role}.argv` };
    }
    case 'openai': {
      const url = new URL(agent.baseURL);
      const check = await reachable(
        name,
        url.hostname,
        Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        `start the model server at ${agent.baseURL} or change agents.${role}.baseURL`,
      );
      // An API key from the environment is a secret check of its own (doctor-unit.ts).
      return { ...check, detail: `${agent.baseURL}: ${check.detail}` };
    }
    case 'anthropic': {
      if (!agent.apiKeyFile) return { name, ok: true, detail: `${agent.model}, API key from ${agent.apiKeyEnv} (see the secret checks)` };
      const present = existsSync(agent.apiKeyFile);
      return {
        name,
        ok: present,
        detail: present ? `API key for ${agent.model} is in ${agent.apiKeyFile}` : `the API key file ${agent.apiKeyFile} does not exist`,
        fix: `write the key to ${agent.apiKeyFile} or set agents.${role}.apiKeyEnv`,
      };
    }
  }
}
