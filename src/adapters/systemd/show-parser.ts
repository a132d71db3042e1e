/** Parses `systemctl show` output (blocks of Key=Value separated by blank lines) into unit statuses. */
import type { UnitStatus } from '../../core/ports.js';

const EXEC_MAIN_CODES: Record<string, string> = { '0': '', '1': 'exited', '2': 'killed', '3': 'dumped', '4': 'trapped', '5': 'stopped', '6': 'continued' };

export function parseShowOutput(text: string): UnitStatus[] {
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
      return {
        name: values.get('Id') ?? '',
        loadState: values.get('LoadState') ?? '',
        activeState: values.get('ActiveState') ?? '',
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

/** With --timestamp=unix systemd prints "@1795539512"; empty or "n/a" when never active. */
function parseTimestamp(text: string): number | null {
  const match = /^@(\d+)$/.exec(text.trim());
  return match ? Number(match[1]) * 1000 : null;
}
