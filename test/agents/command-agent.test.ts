import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentContext } from '../../src/agents/agent.js';
import { CommandAgent } from '../../src/agents/command-agent.js';
import { AgentError, MAX_REPLY_BYTES } from '../../src/agents/verdict-schema.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';

const VERDICT = {
  diagnosis: 'port 80 is held by a stale process',
  symptomClass: 'address_in_use',
  action: { type: 'restart_unit', params: {} },
  confidence: 0.8,
  rationale: 'bind() failed',
};

const context: AgentContext = {
  service: { name: 'web', unit: 'web.service', dependencies: [], runtimeFiles: [], runtimeDirectories: [], configPaths: [] },
  task: { id: 'task-cmd-4242', symptom: 'unit_failed', signature: 'unit_failed:exit-code', message: 'web.service failed' },
  checks: [],
  logs: ['bind() to 0.0.0.0:80 failed (98: Address already in use)'],
  attempts: [],
  findings: [],
  drift: [],
  learned: [],
  knownSignatures: [],
  catalog: [{ type: 'restart_unit', description: 'restart the unit', params: {} }],
};

let dir: string;
const runner = new ProcessCommandRunner();

async function script(name: string, body: string, interpreter = '/bin/sh'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!${interpreter}\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

function agent(path: string, timeoutMs = 10_000): CommandAgent {
  return new CommandAgent({ name: 'command:test', argv: [path], timeoutMs, runner, env: { AGENT_TEST_DIR: dir } });
}

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

/** A pid is gone when it no longer exists or is only a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (pids.every((pid) => !alive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'command-agent-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CommandAgent with real executables', () => {
  it('parses a bare verdict printed on stdout', async () => {
    const path = await script('valid.sh', `cat >/dev/null\ncat <<'EOF'\n${JSON.stringify(VERDICT)}\nEOF`);
    expect(await agent(path).diagnose(context, 'general', new AbortController().signal)).toEqual(VERDICT);
  });

  it('unwraps the Claude Code result envelope with a fenced JSON result', async () => {
    const envelope = {
      type: 'result',
      subtype: 'success',
      is_error: false,
      duration_ms: 1234,
      result: `\`\`\`json\n${JSON.stringify(VERDICT, null, 2)}\n\`\`\``,
      session_id: 'abc',
    };
    const path = await script('claude.sh', `cat >/dev/null\ncat <<'EOF'\n${JSON.stringify(envelope)}\nEOF`);
    expect(await agent(path).diagnose(context, 'general', new AbortController().signal)).toEqual(VERDICT);
  });

  it('reports an error envelope as a backend error', async () => {
    const envelope = { type: 'result', subtype: 'error_max_turns', is_error: true, result: 'ran out of turns' };
    const path = await script('claude-error.sh', `cat >/dev/null\ncat <<'EOF'\n${JSON.stringify(envelope)}\nEOF`);
    const error = await failure(agent(path).diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('backend_error');
    expect(error.message).toContain('ran out of turns');
  });

  it('sends the system and user prompts on stdin', async () => {
    const body = `
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const prompt = Buffer.concat(chunks).toString('utf8');
  require('node:fs').writeFileSync(process.env.AGENT_TEST_DIR + '/prompt.txt', prompt);
  const id = /task id: (\\S+)/.exec(prompt)?.[1] ?? 'none';
  const fenced = /<<<HOST-DATA [0-9a-f]+>>>[\\s\\S]*Address already in use[\\s\\S]*<<<END HOST-DATA [0-9a-f]+>>>/.test(prompt);
  const role = prompt.includes('site-reliability engineer');
  process.stdout.write(JSON.stringify({ diagnosis: 'saw ' + id + ' fenced=' + fenced + ' role=' + role, symptomClass: 'echo', action: { type: 'escalate', params: {} }, confidence: 0.1, rationale: '' }));
});`;
    const path = await script('echo.cjs', body, process.execPath);
    const verdict = await agent(path).diagnose(context, 'application', new AbortController().signal);
    expect(verdict.diagnosis).toBe('saw task-cmd-4242 fenced=true role=true');
    const prompt = await readFile(join(dir, 'prompt.txt'), 'utf8');
    expect(prompt).toContain('Perspective: application');
  });

  it('times out a hanging agent and kills its whole process group', async () => {
    const path = await script('hang.sh', `echo $$ > "$AGENT_TEST_DIR/hang.pid"\nsleep 60 &\necho $! > "$AGENT_TEST_DIR/sleep.pid"\nwait`);
    const started = Date.now();
    const error = await failure(agent(path, 500).diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    const pids = ['hang.pid', 'sleep.pid'].map((file) => Number(readFileSync(join(dir, file), 'utf8').trim()));
    expect(pids.every((pid) => pid > 0)).toBe(true);
    expect(alive(process.pid)).toBe(true);
    expect(await waitGone(pids, 3000)).toBe(true);
  });

  it('stops when the caller aborts', async () => {
    const path = await script('hang2.sh', `echo $$ > "$AGENT_TEST_DIR/hang2.pid"\nexec sleep 60`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutdown')), 300);
    const started = Date.now();
    const error = await failure(agent(path, 30_000).diagnose(context, 'general', controller.signal));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitGone([Number(readFileSync(join(dir, 'hang2.pid'), 'utf8').trim())], 3000)).toBe(true);
    const aborted = AbortSignal.abort();
    expect((await failure(agent(path).diagnose(context, 'general', aborted))).kind).toBe('timeout');
  });

  it('rejects garbage and off-schema replies as invalid', async () => {
    const garbage = await script('garbage.sh', `echo 'I think you should restart it!'`);
    const error = await failure(agent(garbage).diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('invalid_reply');
    const offSchema = await script('off-schema.sh', `echo '{"diagnosis":"x","action":"rm -rf /"}'`);
    expect((await failure(agent(offSchema).diagnose(context, 'general', new AbortController().signal))).kind).toBe('invalid_reply');
    const empty = await script('empty.sh', `exit 0`);
    expect((await failure(agent(empty).diagnose(context, 'general', new AbortController().signal))).kind).toBe('invalid_reply');
  });

  it('refuses a 10 MB reply as too large', async () => {
    const path = await script('huge.cjs', `process.stdout.write('{"diagnosis":"' + 'x'.repeat(10 * 1024 * 1024) + '"}');`, process.execPath);
    const error = await failure(agent(path).diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('too_large');
    expect(error.message).toContain(String(MAX_REPLY_BYTES));
  });

  it('reports a non-zero exit with a sanitised stderr excerpt', async () => {
    const path = await script('fail.sh', `printf 'boom: \\033[31mmodel not found\\033[0m\\n' >&2\nexit 3`);
    const error = await failure(agent(path).diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('backend_error');
    expect(error.message).toContain('status 3');
    expect(error.message).toContain('boom: model not found');
    expect(error.message).not.toContain('\u001b');
  });

  it('reports a program that cannot be started', async () => {
    const missing = join(dir, 'no-such-agent');
    expect(existsSync(missing)).toBe(false);
    const error = await failure(agent(missing).diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('backend_error');
  });
});
