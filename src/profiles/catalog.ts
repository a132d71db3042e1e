/** The known-service catalog: every built-in profile, frozen, looked up by profile name or by systemd unit. */
import type { ServiceProfile } from './profile.js';
import { apache2 } from './apache2.js';
import { bind9 } from './bind9.js';
import { chrony } from './chrony.js';
import { containerd } from './containerd.js';
import { cron } from './cron.js';
import { docker } from './docker.js';
import { elasticsearch } from './elasticsearch.js';
import { fail2ban } from './fail2ban.js';
import { grafana } from './grafana.js';
import { haproxy } from './haproxy.js';
import { influxdb } from './influxdb.js';
import { mariadb } from './mariadb.js';
import { memcached } from './memcached.js';
import { mongodb } from './mongodb.js';
import { mosquitto } from './mosquitto.js';
import { nats } from './nats.js';
import { nginx } from './nginx.js';
import { nodeExporter } from './node-exporter.js';
import { phpFpm } from './php-fpm.js';
import { postfix } from './postfix.js';
import { postgresql } from './postgresql.js';
import { prometheus } from './prometheus.js';
import { rabbitmq } from './rabbitmq.js';
import { redis } from './redis.js';
import { resolved } from './resolved.js';
import { rsyslog } from './rsyslog.js';
import { ssh } from './ssh.js';
import { timesyncd } from './timesyncd.js';

const ALL: readonly ServiceProfile[] = [
  nginx,
  apache2,
  haproxy,
  postgresql,
  mariadb,
  redis,
  memcached,
  mongodb,
  rabbitmq,
  mosquitto,
  nats,
  docker,
  containerd,
  ssh,
  cron,
  chrony,
  timesyncd,
  resolved,
  rsyslog,
  postfix,
  phpFpm,
  grafana,
  prometheus,
  nodeExporter,
  elasticsearch,
  influxdb,
  fail2ban,
  bind9,
];

const UNIT_SUFFIX = /\.(service|socket|timer|path|target|mount)$/;

/** The stem of a unit name: `postgresql@15-main.service` → `postgresql`, `nginx.service` → `nginx`, `nginx` → `nginx`. */
function unitStem(unit: string): string {
  const base = unit.replace(UNIT_SUFFIX, '');
  const at = base.indexOf('@');
  return at >= 0 ? base.slice(0, at) : base;
}

function freezeProfile(p: ServiceProfile): ServiceProfile {
  for (const value of Object.values(p)) {
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) Object.freeze(item);
      Object.freeze(value);
    }
  }
  return Object.freeze(p);
}

function build(): { byName: Map<string, ServiceProfile>; byUnit: Map<string, ServiceProfile>; byStem: Map<string, ServiceProfile> } {
  const byName = new Map<string, ServiceProfile>();
  const byUnit = new Map<string, ServiceProfile>();
  const byStem = new Map<string, ServiceProfile>();
  for (const p of ALL) {
    if (byName.has(p.name)) throw new Error(`duplicate service profile name: ${p.name}`);
    byName.set(p.name, freezeProfile(p));
    for (const unit of p.units) {
      if (!byUnit.has(unit)) byUnit.set(unit, p);
      const stem = unitStem(unit);
      if (!byStem.has(stem)) byStem.set(stem, p);
    }
  }
  return { byName, byUnit, byStem };
}

const { byName, byUnit, byStem } = build();

/** Every built-in profile keyed by name; profiles and their arrays are frozen so no caller can alter the catalog. */
export const PROFILES: ReadonlyMap<string, ServiceProfile> = byName;

/** Profile names in catalog order, for configuration validation and help texts. */
export const PROFILE_NAMES: readonly string[] = Object.freeze([...byName.keys()]);

/** Finds a profile by its configuration key (`profile: nginx`). */
export function findProfile(name: string): ServiceProfile | undefined {
  return byName.get(name);
}

/** Finds the profile for a unit: exact unit name first, then `x`/`x.service` and templated `x@instance.service` by stem. */
export function profileForUnit(unit: string): ServiceProfile | undefined {
  const trimmed = unit.trim();
  if (trimmed === '') return undefined;
  return byUnit.get(trimmed) ?? byUnit.get(`${trimmed}.service`) ?? byStem.get(unitStem(trimmed));
}
