/** Parses `systemctl show` output (blocks of Key=Value separated by blank lines) into unit statuses. */
import type { ServiceState, ServiceStatus } from '../../core/ports.js';

const EXEC_MAIN_CODES: Record<string, string> = { '0': '', '1': 'exited', '2': 'killed', '3': 'dumped', '4': 'trapped', '5': 'stopped', '6': 'continued' };

export function parseShowOutput(text: string): ServiceStatus[] {
  return text
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0)
    .map((block) => {
      const values = new Map<string, string>();
      for (const line of block.split('\n')) {
        const equals = line.indexOf('=');
        if (equals > 0) values.set(line.slice(0, equals), line.slice(equals + 1));
      }
      const code = values.get('ExecMainCode') ?? '0';
      const loadState = values.get('LoadState') ?? '';
      const activeState = values.get('ActiveState') ?? '';
      return {
        name: values.get('Id') ?? '',
        state: systemdState(loadState, activeState),
        loadState,
        activeState,
        subState: values.get('SubState') ?? '',
        unitFileState: values.get('UnitFileState') ?? '',
        mainPid: Number(values.get('MainPID') ?? 0) || 0,
        result: values.get('Result') ?? '',
        execMainStatus: Number(values.get('ExecMainStatus') ?? 0) || 0,
        execMainCode: EXEC_MAIN_CODES[code] ?? code,
        restarts: Number(values.get('NRestarts') ?? 0) || 0,
        serviceType: values.get('Type') ?? '',
        activeSince: parseTimestamp(values.get('ActiveEnterTimestamp') ?? ''),
      };
    });
}

/** systemd's load and active state in the neutral words: active and reloading are running, and so on. */
export function systemdState(loadState: string, activeState: string): ServiceState {
  if (loadState === 'not-found') return 'missing';
  switch (activeState) {
    case 'active':
    case 'reloading':
      return 'running';
    case 'activating':
    case 'deactivating':
      return 'starting';
    case 'failed':
      return 'failed';
    default:
      return 'stopped';
  }
}

/** With --timestamp=unix systemd prints "@1795539512"; empty or "n/a" when never active. */
function parseTimestamp(text: string): number | null {
  const match = /^@(\d+)$/.exec(text.trim());
  return match ? Number(match[1]) * 1000 : null;
}
