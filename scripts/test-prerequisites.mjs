#!/usr/bin/env node
/**
 * Before `npm test`: the system packages the tests use (a real systemd for the lab, nginx, redis and postgresql for the
 * lab's stacks, Chromium for the dashboard, sqlite3 for the monitoring queries). When one is missing and this runs
 * as root with apt-get, it is installed (with a policy-rc.d that keeps the packages' services from starting on
 * this host); otherwise it says what is missing, and the tests that need it say so and skip.
 */
import { accessSync, constants, existsSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const PACKAGES = [
  { name: 'systemd', file: '/lib/systemd/systemd', for: 'the systemd lab tests' },
  { name: 'iproute2', file: '/usr/bin/ip', alternatives: ['/sbin/ip', '/bin/ip'], for: 'the lab network namespaces' },
  { name: 'util-linux', file: '/usr/bin/unshare', for: 'the lab namespaces' },
  { name: 'procps', file: '/usr/bin/pgrep', alternatives: ['/bin/pgrep'], for: 'the lab' },
  { name: 'curl', file: '/usr/bin/curl', for: 'the lab probes' },
  { name: 'sqlite3', file: '/usr/bin/sqlite3', for: 'the monitoring-query tests' },
  { name: 'nginx', file: '/usr/sbin/nginx', for: 'the nginx lab tests' },
  { name: 'redis-server', file: '/usr/bin/redis-server', for: 'the redis lab tests' },
  { name: 'postgresql', file: '/usr/lib/postgresql/15/bin/postgres', for: 'the postgresql lab tests' },
  { name: 'prometheus', file: '/usr/bin/prometheus', for: 'the Alertmanager lab test' },
  { name: 'prometheus-alertmanager', file: '/usr/bin/prometheus-alertmanager', for: 'the Alertmanager lab test' },
  { name: 'chromium', file: '/usr/bin/chromium', for: 'the dashboard browser tests' },
  { name: 'fonts-dejavu-core', file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', for: 'readable screenshots' },
];

const present = (item) =>
  [item.file, ...(item.alternatives ?? [])].some((file) => {
    try {
      accessSync(file, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });

const missing = PACKAGES.filter((item) => !present(item));
if (missing.length === 0 || process.env.AO_SKIP_PREREQUISITES === '1') process.exit(0);

const names = missing.map((item) => item.name);
const isRoot = process.getuid?.() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  console.warn(`test prerequisites: missing ${names.join(', ')} (${missing.map((item) => item.for).join('; ')}).`);
  console.warn(`  ${!isRoot ? 'Not root' : 'No apt-get'}: not installing them; the tests that need them say so and skip. As root: apt-get install ${names.join(' ')}`);
  process.exit(0);
}

console.log(`test prerequisites: installing ${names.join(', ')} with apt-get (their services are kept from starting on this host)`);
const policy = '/usr/sbin/policy-rc.d';
const createdPolicy = !existsSync(policy);
if (createdPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (argv) => spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env }).status;
  if (run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...names]) !== 0) {
    run(['apt-get', 'update', '-qq']);
    if (run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...names]) !== 0) {
      console.warn(`test prerequisites: apt-get could not install ${names.join(', ')}; the tests that need them say so and skip`);
    }
  }
} finally {
  if (createdPolicy) rmSync(policy, { force: true });
}
