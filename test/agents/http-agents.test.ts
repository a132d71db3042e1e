/* eslint-disable @typescript-eslint/no-explicit-any -- the fake model server reads arbitrary JSON bodies */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent, AgentContext } from '../../src/agents/agent.js';
import { AnthropicAgent, OpenAiCompatibleAgent, resolveApiKey } from '../../src/agents/http-agents.js';
import { AgentError } from '../../src/agents/verdict-schema.js';

const KEY = 'sk-test-secret-0123456789';
const VERDICT = {
  diagnosis: 'db.service is down',
  symptomClass: 'dependency_down',
  action: { type: 'start_unit', params: { unit: 'db.service' } },
  confidence: 0.7,
  rationale: 'connection refused',
};

const context: AgentContext = {
  service: { name: 'api', unit: 'api.service', dependencies: ['db.service'], runtimeFiles: [], runtimeDirectories: [], configPaths: [] },
  task: { id: 'task-http-9001', symptom: 'http_error', signature: 'http_error:refused', message: 'GET /health failed' },
  checks: [{ checkId: 'api-http', ok: false, message: 'connection refused' }],
  logs: ['api: could not connect to db:5432: connection refused'],
  attempts: [],
  findings: [],
  drift: [],
  learned: [],
  knownSignatures: [],
  catalog: [{ type: 'start_unit', description: 'start a unit', params: { unit: 'the unit to start' } }],
};

type Mode = 'reply' | 'error500' | 'hang' | 'huge';
interface Recorded {
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, any>;
}

let server: Server;
let base: string;
let mode: Mode = 'reply';
let reply: unknown = VERDICT;
const requests: Recorded[] = [];

function send(response: import('node:http').ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

beforeAll(async () => {
  // The SDK's per-call warnings (JSON mode without structured outputs) are noise here.
  globalThis.AI_SDK_LOG_WARNINGS = false;
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
      requests.push({ url: request.url ?? '', headers: request.headers, body });
      if (mode === 'hang') return;
      if (mode === 'error500') return send(response, 500, { error: { message: `internal failure while checking key ${KEY}`, type: 'server_error' } });
      const text = mode === 'huge' ? 'x'.repeat(2 * 1024 * 1024) : JSON.stringify(reply);
      if (request.method === 'POST' && request.url === '/v1/chat/completions') {
        const tool = body.tools?.[0]?.function?.name as string | undefined;
        const message = tool
          ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: tool, arguments: text } }] }
          : { role: 'assistant', content: text };
        return send(response, 200, {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: body.model,
          choices: [{ index: 0, message, finish_reason: tool ? 'tool_calls' : 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
      }
      if (request.method === 'POST' && request.url === '/v1/messages') {
        const tool = body.tools?.[0]?.name as string | undefined;
        const content = tool && mode !== 'huge' ? [{ type: 'tool_use', id: 'toolu_1', name: tool, input: reply }] : [{ type: 'text', text }];
        return send(response, 200, {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: body.model,
          content,
          stop_reason: tool ? 'tool_use' : 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        });
      }
      send(response, 404, { error: { message: 'not found' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  mode = 'reply';
  reply = VERDICT;
  requests.length = 0;
});

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

/** The text of every message the client sent, system first. */
function promptText(body: Record<string, any>): { system: string; user: string } {
  const flatten = (content: unknown): string => (typeof content === 'string' ? content : Array.isArray(content) ? content.map((part: any) => part.text ?? '').join('\n') : '');
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const system = body.system !== undefined ? flatten(body.system) : flatten(messages.find((message) => message.role === 'system')?.content);
  return { system, user: flatten(messages.find((message) => message.role === 'user')?.content) };
}

const backends: Array<{ name: string; path: string; make: (timeoutMs?: number) => Agent; checkAuth: (headers: IncomingHttpHeaders) => void }> = [
  {
    name: 'OpenAiCompatibleAgent',
    path: '/v1/chat/completions',
    make: (timeoutMs = 10_000) => new OpenAiCompatibleAgent({ name: 'openai:test', baseURL: base, model: 'llama-test', apiKey: KEY, timeoutMs }),
    checkAuth: (headers) => expect(headers.authorization).toBe(`Bearer ${KEY}`),
  },
  {
    name: 'AnthropicAgent',
    path: '/v1/messages',
    make: (timeoutMs = 10_000) => new AnthropicAgent({ name: 'anthropic:test', baseURL: base, model: 'claude-test', apiKey: KEY, timeoutMs }),
    checkAuth: (headers) => {
      expect(headers['x-api-key']).toBe(KEY);
      expect(headers['anthropic-version']).toBeTruthy();
    },
  },
];

describe.each(backends)('$name against a local server', ({ path, make, checkAuth }) => {
  it('sends the prompts with the key and parses the verdict', async () => {
    const verdict = await make().diagnose(context, 'dependencies', new AbortController().signal);
    expect(verdict).toEqual(VERDICT);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.url).toBe(path);
    checkAuth(request!.headers);
    const { system, user } = promptText(request!.body);
    expect(system).toContain('site-reliability engineer');
    expect(system).toContain('Perspective: dependencies');
    expect(user).toContain('task id: task-http-9001');
    if (path === '/v1/messages') expect(request!.body.tools?.[0]?.input_schema ?? request!.body.output_format).toBeTruthy();
    else expect(request!.body.response_format).toBeTruthy();
    expect(user).toMatch(/<<<HOST-DATA [0-9a-f]{16}>>>[\s\S]*connection refused[\s\S]*<<<END HOST-DATA [0-9a-f]{16}>>>/);
  });

  it('returns a schema-valid verdict with an unknown action type (the catalog check comes later)', async () => {
    reply = { ...VERDICT, action: { type: 'run_shell', params: { command: 'rm -rf /' } } };
    const verdict = await make().diagnose(context, 'general', new AbortController().signal);
    expect(verdict.action).toEqual({ type: 'run_shell', params: { command: 'rm -rf /' } });
  });

  it('rejects an off-schema reply as invalid', async () => {
    reply = { diagnosis: 'x', action: 'restart everything', confidence: 7 };
    const error = await failure(make().diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('invalid_reply');
  });

  it('maps a 500 to a backend error without the key', async () => {
    mode = 'error500';
    const error = await failure(make().diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('backend_error');
    expect(error.message).toContain('500');
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(requests).toHaveLength(1);
  });

  it('times out a server that never answers', async () => {
    mode = 'hang';
    const started = Date.now();
    const error = await failure(make(400).diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an oversized response body', async () => {
    mode = 'huge';
    const error = await failure(make().diagnose(context, 'general', new AbortController().signal));
    expect(error.kind).toBe('too_large');
  });
});

describe('resolveApiKey', () => {
  it('reads a trimmed key from a file or the environment, with errors that never show the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'api-key-'));
    try {
      const file = join(dir, 'key');
      await writeFile(file, `  ${KEY}\n`);
      expect(resolveApiKey({ apiKeyFile: file })).toBe(KEY);
      expect(resolveApiKey({ apiKeyEnv: 'TEST_AGENT_KEY' }, { TEST_AGENT_KEY: KEY })).toBe(KEY);
      expect(resolveApiKey({})).toBeUndefined();
      expect(() => resolveApiKey({ apiKeyEnv: 'TEST_AGENT_KEY' }, {})).toThrow(/TEST_AGENT_KEY .*not set/);
      expect(() => resolveApiKey({ apiKeyFile: join(dir, 'missing') })).toThrow(/cannot read the API key file .*ENOENT/);
      await writeFile(join(dir, 'empty'), '\n');
      expect(() => resolveApiKey({ apiKeyFile: join(dir, 'empty') })).toThrow(/is empty/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
