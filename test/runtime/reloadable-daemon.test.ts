/** Generations across reloads: loops stop, adapters close, the next daemon resumes; a failed build keeps the old one. */
import { describe, expect, it } from 'vitest';
import { ReloadableDaemon, type ReloadableParts } from '../../src/runtime/reloadable-daemon.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CompiledConfig } from '../../src/config/compiled.js';

const configNamed = (source: string) => ({ source }) as unknown as CompiledConfig;

function recordingHost(events: string[], failFor?: string) {
  let built = 0;
  return new ReloadableDaemon<ReloadableParts & { name: string }>(configNamed('one.yaml'), {
    build: (config) => {
      if (config.source === failFor) throw new Error(`cannot build ${config.source}`);
      const name = `${config.source}#${++built}`;
      events.push(`build ${name}`);
      return { name, orchestrator: { resume: () => (events.push(`resume ${name}`), 0) }, adapter: { close: async () => void events.push(`close ${name}`) } };
    },
    loops: (generation, signal) => [
      new Promise<void>((resolve) => {
        events.push(`loops ${generation.daemon.name}`);
        signal.addEventListener('abort', () => (events.push(`loops ended ${generation.daemon.name}`), resolve()), { once: true });
      }),
    ],
    logger: silentLogger,
  });
}

describe('ReloadableDaemon', () => {
  it('replaces the running generation: its loops end, its adapters close, the next one resumes and runs', async () => {
    const events: string[] = [];
    const host = recordingHost(events);
    const shutdown = new AbortController();
    const running = host.run(shutdown.signal);
    await host.replace(configNamed('two.yaml'));
    expect(host.current.config.source).toBe('two.yaml');
    await new Promise((resolve) => setImmediate(resolve));
    shutdown.abort();
    await running;
    expect(events).toEqual([
      'build one.yaml#1',
      'resume one.yaml#1',
      'loops one.yaml#1',
      'loops ended one.yaml#1',
      'close one.yaml#1',
      'build two.yaml#2',
      'resume two.yaml#2',
      'loops two.yaml#2',
      'loops ended two.yaml#2',
    ]);
  });

  it('builds the previous configuration again when the new one cannot be built, and says why', async () => {
    const events: string[] = [];
    const host = recordingHost(events, 'bad.yaml');
    const shutdown = new AbortController();
    const running = host.run(shutdown.signal);
    await expect(host.replace(configNamed('bad.yaml'))).rejects.toThrow('cannot build bad.yaml');
    expect(host.current.config.source).toBe('one.yaml');
    expect(host.current.daemon.name).toBe('one.yaml#2');
    shutdown.abort();
    await running;
    await expect(host.replace(configNamed('two.yaml'))).rejects.toThrow('not running');
  });
});
