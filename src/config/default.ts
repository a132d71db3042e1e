/**
 * The embedded default: watch this host (disk, inodes, memory, and every failed systemd unit when systemd is
 * PID 1) with no services configured. Used when no configuration file exists.
 */
export const EMBEDDED_DEFAULT = `
cycle:
  interval: 5m
  watchInterval: 1s
  workers: 4
  watchFailedUnits: auto
host:
  disk: { mounts: [/], maxUsedPercent: 90 }
  inodes: { maxUsedPercent: 90 }
  memory: { maxUsedPercent: 95 }
services: []
`;
