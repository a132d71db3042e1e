/** The adapter conformance suite against the systemd adapter, inside a real systemd (the lab). */
import { SystemdLab } from '../lab/systemd-lab.js';
import { describeLab } from '../lab/describe-lab.js';
import { SystemdAdapter } from '../../src/adapters/systemd/systemd-adapter.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import type { CommandRunner } from '../../src/core/ports.js';
import { adapterConformance } from './conformance.js';

describeLab('systemd adapter conformance (systemd lab)', () => {
  adapterConformance(async () => {
    const lab = await SystemdLab.boot({ name: 'conformance' });
    const marker = `conformance-${process.pid}`;
    await lab.writeUnit(
      'conf-ticker.service',
      `[Unit]\nDescription=prints a marker\n\n[Service]\nType=simple\nExecStart=/usr/bin/node -e "setInterval(() => console.log('${marker}'), 200)"\nRestart=no\n`,
    );
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', 'conf-ticker.service');
    // Every systemctl and journalctl of the adapter runs inside the lab's namespaces.
    const inner = new ProcessCommandRunner();
    const runner: CommandRunner = { run: (argv, options) => inner.run(['/usr/bin/nsenter', '-t', String(lab.pid), '-m', '-p', '-n', '-i', '-C', '--', ...argv], options) };
    return {
      adapter: new SystemdAdapter({ runner }),
      service: 'conf-ticker.service',
      marker,
      killMain: async (pid) => void (await lab.exec(['kill', '-9', String(pid)])),
      stalePidSkip: 'systemd tracks a unit’s main pid itself; a stale PIDFile= is systemd’s to handle',
      unsupportedSkip: 'the systemd adapter declares every capability',
      cleanup: () => lab.stop(),
    };
  });
});
