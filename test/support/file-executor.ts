/**
 * The real executor with the real file system, for tests of file actions and of refusals: the service manager
 * and the command runner are never reached by those (an adapter may be given where capabilities matter).
 */
import type { CompiledConfig } from '../../src/config/compiled.js';
import { Executor } from '../../src/actions/executor.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { ConfigSnapshots } from '../../src/store/config-snapshots.js';
import { systemClock } from '../../src/runtime/clock.js';
import type { CommandRunner, ServiceAdapter } from '../../src/core/ports.js';

export function fileExecutor(config: CompiledConfig, adapter: ServiceAdapter = {} as ServiceAdapter): Executor {
  return new Executor({
    adapter,
    runner: {} as CommandRunner,
    files: nodeFileSystem,
    probes: nodeProbes,
    config,
    snapshots: new ConfigSnapshots(config.dataDir),
    clock: systemClock,
  });
}
