/** Host checks: disk and inode use per mount, memory. The host is reported as the service "host". */
import type { CompiledConfig } from '../config/compiled.js';
import type { Probes } from '../core/ports.js';
import type { CheckResult } from '../core/types.js';

export const HOST_SERVICE = 'host';

export async function runHostChecks(host: CompiledConfig['host'], probes: Probes): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (host.disk.enabled || host.inodes.enabled) {
    for (const mount of host.disk.mounts) {
      let usage;
      try {
        usage = await probes.filesystem(mount);
      } catch (error) {
        results.push({
          checkId: `disk:${mount}`,
          type: 'disk',
          ok: false,
          symptom: 'disk_full',
          detail: 'statfs',
          message: `${mount}: cannot read usage (${(error as Error).message})`,
        });
        continue;
      }
      if (host.disk.enabled) {
        const ok = usage.usedPercent < host.disk.maxUsedPercent;
        results.push({
          checkId: `disk:${mount}`,
          type: 'disk',
          ok,
          symptom: ok ? undefined : 'disk_full',
          message: `${mount}: ${usage.usedPercent.toFixed(1)}% used (limit ${host.disk.maxUsedPercent}%)`,
        });
      }
      if (host.inodes.enabled) {
        const ok = usage.inodesUsedPercent < host.inodes.maxUsedPercent;
        results.push({
          checkId: `inodes:${mount}`,
          type: 'inodes',
          ok,
          symptom: ok ? undefined : 'inodes_full',
          message: `${mount}: ${usage.inodesUsedPercent.toFixed(1)}% of inodes used (limit ${host.inodes.maxUsedPercent}%)`,
        });
      }
    }
  }
  if (host.memory.enabled) {
    const memory = await probes.memory();
    const ok = memory.usedPercent < host.memory.maxUsedPercent;
    results.push({
      checkId: 'memory',
      type: 'memory',
      ok,
      symptom: ok ? undefined : 'memory_pressure',
      message: `memory ${memory.usedPercent.toFixed(1)}% used, ${Math.round(memory.availableBytes / 1048576)} MiB available (limit ${host.memory.maxUsedPercent}%)`,
    });
  }
  return results;
}
