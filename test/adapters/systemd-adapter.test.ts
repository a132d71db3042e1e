/**
 * The adapter conformance suite against the systemctl adapter, inside a real systemd (the lab): every systemctl
 * and journalctl it runs goes through `nsenter` into the lab's namespaces, so it sees the lab's units and pids.
 */
import { SystemdLab } from '../lab/systemd-lab.js';
import { describeLab } from '../lab/describe-lab.js';
import { SystemdAdapter } from '../../src/adapters/systemd/systemd-adapter.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import type { CommandRunner } from '../../src/core/ports.js';
import { describeAdapterConformance } from './conformance.js';

const MARKER = `systemd-conformance-${process.pid}`;
/**
 * Prints the marker on SIGUSR1, and says when its handler is set (before that, a SIGUSR1 would start node's
 * inspector instead: a busy machine lost the line that way). StartLimitIntervalSec=0 so the suite's many starts
 * never hit the start limit.
 */
const TICKER = `[Unit]
Description=conformance ticker
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/usr/bin/node -e "process.on('SIGUSR1', () => console.log('${MARKER} usr1')); console.log('${MARKER} ready ' + process.pid); setInterval(() => {}, 1000)"
Restart=no
`;

/** A runner whose every argv runs inside the lab: `nsenter -t PID -m -p -n -i -C -- argv`. */
function labRunner(lab: SystemdLab): CommandRunner {
  const host = new ProcessCommandRunner();
  return { run: (argv, options) => host.run(['/usr/bin/nsenter', '-t', String(lab.pid), '-m', '-p', '-n', '-i', '-C', '--', ...argv], options) };
}

describeLab('systemd lab', () => {
  describeAdapterConformance('systemctl adapter conformance', async () => {
    const lab = await SystemdLab.boot({ name: 'systemctl-conformance' });
    try {
      await lab.writeUnit('conf-ticker.service', TICKER);
    } catch (error) {
      await lab.stop();
      throw error;
    }
    // Pids the adapter reports are the lab's own (systemctl runs in its pid namespace), and so are the kills.
    const inLab = (signal: string) => async (pid: number) => void (await lab.exec(['kill', `-${signal}`, String(pid)]));
    return {
      adapter: new SystemdAdapter({ runner: labRunner(lab) }),
      service: 'conf-ticker.service',
      killMain: inLab('KILL'),
      printLogLine: async (pid) => {
        await lab.waitFor(async () => (await lab.exec(['journalctl', '-u', 'conf-ticker.service', '-o', 'cat', '--no-pager'])).stdout.includes(`${MARKER} ready ${pid}`), {
          what: 'the ticker’s SIGUSR1 handler set',
          timeoutMs: 20_000,
        });
        await inLab('USR1')(pid);
        return `${MARKER} usr1`;
      },
      missingService: 'no-such-unit-conformance.service',
      stalePidService: { notApplicable: 'systemd tracks a unit’s main pid itself: a PIDFile= is read only while a forking unit starts' },
      lacking: { notApplicable: 'the systemctl adapter declares every capability' },
      cleanup: () => lab.stop(),
    };
  });
});
