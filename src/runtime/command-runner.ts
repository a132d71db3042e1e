/**
 * The one place that spawns processes: argv arrays (never a shell), a timeout that kills the whole process
 * group, an abort signal, and output capped at a byte limit.
 */
import { spawn } from 'node:child_process';
import type { CommandOptions, CommandResult, CommandRunner } from '../core/ports.js';

const DEFAULT_MAX_OUTPUT = 64 * 1024;

export class ProcessCommandRunner implements CommandRunner {
  run(argv: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const started = performance.now();
    const [program, ...args] = argv;
    if (!program) return Promise.reject(new TypeError('argv must name a program'));
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    return new Promise((resolve) => {
      const stdout = new CappedBuffer(limit);
      const stderr = new CappedBuffer(limit);
      let timedOut = false;
      let settled = false;
      const child = spawn(program, args, {
        detached: true,
        stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: options.env ? { ...process.env, ...options.env } : process.env,
      });
      const killGroup = () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, options.timeoutMs);
      const onAbort = () => killGroup();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (result: Omit<CommandResult, 'argv' | 'stdout' | 'stderr' | 'truncated' | 'durationMs' | 'timedOut'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve({
          argv,
          ...result,
          stdout: stdout.text(),
          stderr: stderr.text(),
          timedOut,
          truncated: stdout.truncated || stderr.truncated,
          durationMs: performance.now() - started,
        });
      };
      child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => finish({ exitCode: null, signal: null, spawnError: error.message }));
      child.on('close', (exitCode, signal) => finish({ exitCode, signal }));
      if (options.stdin !== undefined && child.stdin) {
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.stdin);
      }
      if (options.signal?.aborted) killGroup();
    });
  }
}

/** Keeps the first `limit` bytes and notes whether more arrived. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
