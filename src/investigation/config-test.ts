/**
 * config_test: runs the service's configured config test (`nginx -t`, `sshd -t` ...) through the command runner
 * and says how it ended and what it printed. A config test only reads the configuration; a service without one
 * is told so and nothing runs.
 */
import { z } from 'zod/v4';
import { capText, defineTool } from './tool.js';

const MAX_COMMAND_OUTPUT = 16 * 1024;
const MAX_STREAM_TEXT = 1800;

export const configTestTool = defineTool({
  name: 'config_test',
  description: "Runs the failing service's configured configuration test (for example nginx -t) and returns its exit status and output. Takes no input.",
  input: z.object({}).strict(),
  async run(_input, { service, runner, config }, signal) {
    const argv = service.configTest;
    if (!argv || argv.length === 0) return `${service.name}: no config test is configured`;
    const result = await runner.run(argv, {
      timeoutMs: config.safety.commandTimeoutMs,
      signal,
      maxOutputBytes: Math.min(config.safety.maxOutputBytes, MAX_COMMAND_OUTPUT),
    });
    const command = argv.join(' ').slice(0, 300);
    if (result.spawnError) return `config test \`${command}\` could not start: ${result.spawnError}`;
    const ended = result.timedOut
      ? `timed out after ${config.safety.commandTimeoutMs} ms`
      : result.exitCode === 0
        ? 'passed (exit status 0)'
        : result.exitCode === null
          ? `FAILED (killed by ${result.signal ?? 'a signal'})`
          : `FAILED (exit status ${result.exitCode})`;
    const stream = (name: string, text: string) => (text.trim() === '' ? `${name}: (empty)` : `${name}:\n${capText(text.trim(), MAX_STREAM_TEXT, 'tail')}`);
    return [`config test \`${command}\` ${ended}${result.truncated ? ' (output truncated)' : ''}`, stream('stderr', result.stderr), stream('stdout', result.stdout)].join('\n');
  },
});
