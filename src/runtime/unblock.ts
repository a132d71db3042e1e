/**
 * Whether what blocked an escalation (drift/diagnosis.ts's Block) is gone: the program is back and executable,
 * the directory exists, the user exists, the config test passes. Read-only; a block that names only a cause
 * ("permission denied") cannot be told cleared and waits for a human's `escalation retry`.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { userExists } from '../drift/account-names.js';
import type { CompiledService } from '../config/compiled.js';
import type { CommandRunner } from '../core/ports.js';
import type { Block } from '../drift/diagnosis.js';

export interface UnblockDependencies {
  runner: CommandRunner;
  commandTimeoutMs: number;
  maxOutputBytes: number;
}

/** What cleared, in words, or undefined while the block holds (or cannot be told). */
export async function blockCleared(block: Block, service: CompiledService, dependencies: UnblockDependencies, signal?: AbortSignal): Promise<string | undefined> {
  switch (block.kind) {
    case 'program':
      return (await access(block.path, constants.X_OK).then(
        () => true,
        () => false,
      ))
        ? `the program ${block.path} is back`
        : undefined;
    case 'path':
      return (await stat(block.path).catch(() => undefined))?.isDirectory() ? `the directory ${block.path} exists again` : undefined;
    case 'user':
      return (await userExists(block.user)) ? `the user ${block.user} exists again` : undefined;
    case 'config-test': {
      if (!service.configTest) return undefined;
      const result = await dependencies.runner.run(service.configTest, { timeoutMs: dependencies.commandTimeoutMs, maxOutputBytes: dependencies.maxOutputBytes, signal });
      return result.exitCode === 0 ? `its config test passes again (${service.configTest.join(' ')})` : undefined;
    }
    case 'cause':
      return undefined;
  }
}
