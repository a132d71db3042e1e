import { describe, expect, it } from 'vitest';
import { findProfile, PROFILE_NAMES, PROFILES, profileForUnit } from './catalog.js';
import type { ServiceProfile } from './profile.js';

const FULL = ['nginx', 'redis', 'postgresql', 'mariadb', 'memcached', 'mosquitto', 'ssh', 'cron', 'haproxy', 'apache2', 'docker', 'rabbitmq'];

/** RabbitMQ's only pid file is /var/lib/rabbitmq/mnesia/rabbit@<hostname>.pid: no fixed path exists to list. */
const NO_FIXED_RUNTIME_FILE = new Set(['rabbitmq']);

const SHELL_META = /[;|&`$><\n]/;

/** Realistic log lines, as the services print them on Debian 12; every signature must match at least one. */
const EXAMPLES: Record<string, readonly string[]> = {
  nginx: [
    '2024/05/02 10:11:12 [emerg] 1234#1234: bind() to 0.0.0.0:80 failed (98: Address already in use)',
    '2024/05/02 10:11:12 [emerg] 1234#1234: unknown directive "servr_name" in /etc/nginx/sites-enabled/default:12',
    '2024/05/02 10:11:12 [emerg] 1234#1234: open() "/var/log/nginx/access.log" failed (13: Permission denied)',
    '2024/05/02 10:11:12 [error] 815#815: *1 connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream, client: 10.0.0.5, server: _, request: "GET / HTTP/1.1"',
    '2024/05/02 10:11:12 [crit] 815#815: accept4() failed (24: Too many open files)',
    '2024/05/02 10:11:12 [crit] 815#815: *9 pwrite() "/var/lib/nginx/body/0000000001" failed (28: No space left on device)',
    '2024/05/02 10:11:12 [emerg] 1234#1234: cannot load certificate "/etc/ssl/certs/site.pem": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory)',
    'nginx: [error] invalid PID number "" in "/run/nginx.pid"',
  ],
  redis: [
    '812:M 02 May 2024 10:11:12.345 # Warning: Could not create server TCP listening socket 127.0.0.1:6379: bind: Address already in use',
    '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
    '812:M 02 May 2024 10:11:12.345 # Failed opening the temp RDB file temp-812.rdb (in server root dir /var/lib/redis) for saving: Permission denied',
    '812:M 02 May 2024 10:11:12.345 # Write error saving DB on disk: No space left on device',
    "812:M 02 May 2024 10:11:12.345 # Can't save in background: fork: Cannot allocate memory",
    '812:M 02 May 2024 10:11:12.345 # You requested maxclients of 10000 requiring at least 10032 max file descriptors.',
    '812:M 02 May 2024 10:11:12.345 # Bad file format reading the append only file appendonly.aof.1.incr.aof, make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>',
  ],
  postgresql: [
    '2024-05-02 10:11:12.345 UTC [812] LOG:  could not bind IPv4 address "127.0.0.1": Address already in use',
    '2024-05-02 10:11:12.345 UTC [812] FATAL:  lock file "postmaster.pid" already exists',
    '2024-05-02 10:11:12.345 UTC [812] FATAL:  lock file "/var/run/postgresql/.s.PGSQL.5432.lock" already exists',
    '2024-05-02 10:11:12.345 UTC [812] PANIC:  could not write to file "pg_wal/xlogtemp.812": No space left on device',
    '2024-05-02 10:11:12.345 UTC [812] FATAL:  data directory "/var/lib/postgresql/15/main" has invalid permissions',
    '2024-05-02 10:11:12.345 UTC [901] app@appdb FATAL:  password authentication failed for user "app"',
    '2024-05-02 10:11:12.345 UTC [812] LOG:  syntax error in file "/etc/postgresql/15/main/postgresql.conf" line 64, near token "="',
    '2024-05-02 10:11:12.345 UTC [812] FATAL:  private key file "/etc/ssl/private/ssl-cert-snakeoil.key" has group or world access',
  ],
  mariadb: [
    "2024-05-02 10:11:12 0 [ERROR] Can't start server: Bind on TCP/IP port. Got error: 98: Address already in use",
    '2024-05-02 10:11:12 0 [ERROR] InnoDB: Unable to lock ./ibdata1 error: 11',
    "2024-05-02 10:11:12 0 [ERROR] mariadbd: Can't create/write to file '/run/mysqld/mysqld.pid' (Errcode: 13 \"Permission denied\")",
    '2024-05-02 10:11:12 5 [Warning] mariadbd: Disk full (/tmp/#sql-temptable-1a2b-5-0.MAI); waiting for someone to free some space... (errno: 28 "No space left on device")',
    '2024-05-02 10:11:12 0 [ERROR] InnoDB: Cannot allocate memory for the buffer pool',
    "2024-05-02 10:11:12 0 [ERROR] /usr/sbin/mariadbd: unknown variable 'query_cache_sise=64M'",
    "2024-05-02 10:11:12 7 [ERROR] mariadbd: Table './shop/orders' is marked as crashed and should be repaired",
    "2024-05-02 10:11:12 9 [Warning] Access denied for user 'app'@'localhost' (using password: YES)",
  ],
  memcached: [
    'failed to listen on TCP port 11211: Address already in use',
    'failed to set rlimit for open files. Try starting as root or requesting smaller maxconns value.',
    'Could not open the pid file /var/run/memcached/memcached.pid.tmp for writing: Permission denied',
    'Warning: Failed to allocate requested memory in one large chunk.',
    "memcached: invalid option -- 'z'",
  ],
  mosquitto: [
    '1714644672: Error: Address already in use',
    '1714644672: Error: Unknown configuration variable "listner".',
    '1714644672: Error: Unable to open log file /var/log/mosquitto/mosquitto.log for writing.',
    '1714644672: Error: Unable to load server certificate "/etc/mosquitto/certs/server.crt". Check certfile.',
    '1714644672: Error: Out of memory.',
    '1714644672: Client sensor-17 disconnected, not authorised.',
    '1714644672: Error: Unable to restore persistent database. Unrecognised file format.',
  ],
  ssh: [
    'sshd[812]: error: Bind to port 22 on 0.0.0.0 failed: Address already in use.',
    'sshd[812]: /etc/ssh/sshd_config line 14: Bad configuration option: PermitRootLogn',
    'sshd[812]: Missing privilege separation directory: /run/sshd',
    'sshd[812]: sshd: no hostkeys available -- exiting.',
    "sshd[812]: Permissions 0644 for '/etc/ssh/ssh_host_ed25519_key' are too open.",
    'sshd[1902]: Failed password for invalid user admin from 203.0.113.5 port 51234 ssh2',
  ],
  cron: [
    "cron[812]: (CRON) DEATH (can't lock /var/run/crond.pid, otherpid may be 640: Resource temporarily unavailable)",
    'cron[812]: (*system*backup) WRONG FILE OWNER (/etc/cron.d/backup)',
    'cron[812]: Error: bad minute; while reading /etc/cron.d/backup',
    "cron[812]: (CRON) error (can't fork)",
    'CRON[1902]: (deploy) PAM ERROR (Authentication token is no longer valid; new one required)',
  ],
  haproxy: [
    '[ALERT]    (812) : Starting frontend http-in: cannot bind socket (Address already in use) [0.0.0.0:80]',
    '[ALERT]    (812) : Starting frontend https-in: cannot bind socket (Permission denied) [0.0.0.0:443]',
    "[ALERT]    (812) : config : parsing [/etc/haproxy/haproxy.cfg:42] : unknown keyword 'balnce' in 'backend' section",
    "[ALERT]    (812) : config : parsing [/etc/haproxy/haproxy.cfg:30] : 'bind *:443' in section 'frontend' : unable to stat SSL certificate from file '/etc/haproxy/certs/site.pem' : No such file or directory.",
    '[WARNING]  (813) : Server app/web1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left.',
    '[WARNING]  (812) : [haproxy.main()] Cannot raise FD limit to 8040, limit is 1024.',
  ],
  apache2: [
    '(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80',
    'AH00526: Syntax error on line 12 of /etc/apache2/sites-enabled/000-default.conf:',
    '(13)Permission denied: AH00091: apache2: could not open error log file /var/log/apache2/error.log.',
    '[proxy_fcgi:error] [pid 1902:tid 140] (111)Connection refused: AH00957: FCGI: attempt to connect to 127.0.0.1:9000 (127.0.0.1) failed',
    '[ssl:emerg] [pid 812:tid 140] AH02572: Failed to configure at least one certificate and key for www.example.org:443',
    "[core:emerg] [pid 812:tid 140] (28)No space left on device: AH00023: Couldn't create the mpm-accept mutex",
    '[core:warn] [pid 812:tid 140] AH00098: pid file /var/run/apache2/apache2.pid overwritten -- Unclean shutdown of previous Apache run?',
    '[mpm_event:error] [pid 812:tid 140] AH00161: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting',
  ],
  docker: [
    'dockerd[812]: failed to start daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid',
    "dockerd[812]: unable to configure the Docker daemon with file /etc/docker/daemon.json: invalid character '}' looking for beginning of object key string",
    'dockerd[812]: failed to start daemon: failed to dial "/run/containerd/containerd.sock": connection error: desc = "transport: error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused"',
    'dockerd[812]: failed to start daemon: error while opening volume store metadata database (/var/lib/docker/volumes/metadata.db): timeout',
    'dockerd[812]: level=error msg="Handler for POST /v1.41/images/create returned error: write /var/lib/docker/tmp/GetImageBlob1234: no space left on device"',
    'docker: Error response from daemon: driver failed programming external connectivity on endpoint web (3f2a): Bind for 0.0.0.0:80 failed: port is already allocated.',
    'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/version": dial unix /var/run/docker.sock: connect: permission denied',
  ],
  rabbitmq: [
    '2024-05-02 10:11:12.345 [error] <0.715.0> Failed to start Ranch listener {acceptor,{0,0,0,0,0,0,0,0},5672} in ranch_tcp:listen([{port,5672}]) for reason eaddrinuse (address already in use)',
    'Cookie file /var/lib/rabbitmq/.erlang.cookie must be accessible by owner only',
    "2024-05-02 10:11:12.345 [warning] <0.450.0> disk resource limit alarm set on node 'rabbit@mq1'.",
    "2024-05-02 10:11:12.345 [warning] <0.450.0> memory resource limit alarm set on node 'rabbit@mq1'.",
    "2024-05-02 10:11:12.345 [error] <0.1902.0> PLAIN login refused: user 'guest' - invalid credentials",
    '2024-05-02 10:11:12.345 [error] <0.130.0> Syntax error in /etc/rabbitmq/rabbitmq.conf after line 3 column 1, parsing incomplete',
    "Protocol 'inet_tcp': register/listen error: econnrefused",
  ],
  mongodb: [
    '{"t":{"$date":"2024-05-02T10:11:12.345+00:00"},"s":"E","c":"CONTROL","id":20568,"msg":"Error setting up listener","attr":{"error":{"code":9001,"codeName":"SocketException","errmsg":"Address already in use"}}}',
    'Unable to lock the lock file: /var/lib/mongodb/mongod.lock (Resource temporarily unavailable). Another mongod instance is already running on the /var/lib/mongodb directory',
    'Failed to unlink socket file /tmp/mongodb-27017.sock Operation not permitted',
    'WiredTiger error message: No space left on device',
    'WiredTiger error: WT_PANIC: WiredTiger library panic',
  ],
  nats: [
    '[812] [FTL] Error listening on port: 0.0.0.0:4222, "listen tcp 0.0.0.0:4222: bind: address already in use"',
    '[812] [ERR] 10.0.0.5:51234 - cid:5 - authentication error',
    '[812] [ERR] JetStream resource limits exceeded: write /var/lib/nats/jetstream/msgs/1.blk: no space left on device',
  ],
  containerd: [
    'containerd: failed to load TOML from /etc/containerd/config.toml: invalid plugin key URI "cri" expect io.containerd.x.vx',
    'level=error msg="failed to write" error="write /var/lib/containerd/tmpmounts/x: no space left on device"',
  ],
  chrony: [
    'chronyd[812]: Could not bind IPv4 NTP socket : Address already in use',
    'chronyd[812]: Fatal error : Invalid directive at line 5 in file /etc/chrony/chrony.conf',
    "chronyd[812]: Can't synchronise: no selectable sources",
  ],
  timesyncd: [
    'systemd-timesyncd[512]: Timed out waiting for reply from 162.159.200.1:123 (0.debian.pool.ntp.org).',
    'systemd-timesyncd[512]: No network connectivity, watching for changes.',
  ],
  resolved: [
    'systemd-resolved[400]: Failed to listen on UDP socket 127.0.0.53:53: Address already in use',
    'systemd-resolved[400]: Using degraded feature set UDP instead of UDP+EDNS0 for DNS server 192.168.1.1.',
  ],
  rsyslog: [
    "rsyslogd: error during parsing file /etc/rsyslog.d/50-remote.conf, on or before line 3: invalid character '}' - is there an invalid escape sequence somewhere? [v8.2302.0 try https://www.rsyslog.com/e/2207 ]",
    "rsyslogd: file '/var/log/syslog': write error - see https://www.rsyslog.com/solving-rsyslog-write-errors/ for help OS error: No space left on device [v8.2302.0 try https://www.rsyslog.com/e/2027 ]",
    "rsyslogd: file '/var/log/app.log': open error: Permission denied [v8.2302.0 try https://www.rsyslog.com/e/2433 ]",
  ],
  postfix: [
    'postfix/master[812]: fatal: bind 0.0.0.0 port 25: Address already in use',
    'postfix/postconf: fatal: /etc/postfix/main.cf, line 42: missing \'=\' after attribute name: "relayhost"',
    'postfix/smtpd[1902]: warning: not enough free space in mail queue: 1048576 bytes < 1.5*message size limit',
    'postfix/smtpd[1902]: warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6',
    'postfix/master[812]: fatal: open lock file /var/lib/postfix/master.lock: unable to set exclusive lock: Resource temporarily unavailable',
  ],
  'php-fpm': [
    "ERROR: unable to bind listening socket for address '/run/php/php8.2-fpm.sock': Address already in use (98)",
    "ERROR: [/etc/php/8.2/fpm/pool.d/www.conf:12] unknown entry 'pm.max_chldren'",
    'WARNING: [pool www] server reached pm.max_children setting (5), consider raising it',
    'PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/app/index.php on line 12',
  ],
  grafana: [
    'logger=server t=2024-05-02T10:11:12Z level=error msg="Stopped background service" reason="listen tcp :3000: bind: address already in use"',
    'logger=sqlstore t=2024-05-02T10:11:12Z level=error msg="Failed to update" error="database is locked"',
    'Error: open /var/lib/grafana/grafana.db: permission denied',
  ],
  prometheus: [
    'ts=2024-05-02T10:11:12Z caller=web.go:560 level=error msg="Error starting web server" err="listen tcp 0.0.0.0:9090: bind: address already in use"',
    'ts=2024-05-02T10:11:12Z caller=main.go:1216 level=error msg="Error loading config (--config.file=/etc/prometheus/prometheus.yml)"',
    'ts=2024-05-02T10:11:12Z caller=main.go:1150 level=error err="opening storage failed: lock DB directory: resource temporarily unavailable"',
    'ts=2024-05-02T10:11:12Z caller=db.go:836 level=error msg="compaction failed" err="write /var/lib/prometheus/metrics2/01H/index: no space left on device"',
  ],
  'node-exporter': ['ts=2024-05-02T10:11:12Z caller=node_exporter.go:223 level=error err="listen tcp :9100: bind: address already in use"'],
  elasticsearch: [
    'BindTransportException[Failed to bind to [9300-9400]]; nested: BindException[Address already in use];',
    'java.lang.IllegalStateException: failed to obtain node locks, tried [/var/lib/elasticsearch]; maybe these locations are not writable or multiple nodes were started on the same data path?',
    'flood stage disk watermark [95%] exceeded on [node-1][/var/lib/elasticsearch] free: 1.2gb[4.1%], all indices on this node will be marked read-only',
    'java.lang.OutOfMemoryError: Java heap space',
    'bootstrap check failure [1] of [1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]',
  ],
  influxdb: [
    'run: open server: open service: listen tcp :8086: bind: address already in use',
    'write /var/lib/influxdb/wal/_internal/monitor/1/_00001.wal: no space left on device',
    'run: open server: open meta client: mkdir /var/lib/influxdb/meta: permission denied',
  ],
  fail2ban: [
    'ERROR   Failed during configuration: Have not found any log file for sshd jail',
    "ERROR   Errors in jail 'recidive'. Skipping...",
    'ERROR  Fail2ban seems to be in unexpected state (not running but the socket exists)',
  ],
  bind9: [
    'named[812]: binding TCP socket: address in use',
    "named[812]: /etc/bind/named.conf.local:5: missing ';' before '}'",
    'named[812]: zone example.org/IN: loading from master file /etc/bind/db.example.org failed: file not found',
    'named[812]: loading configuration: permission denied',
  ],
};

/** Ordinary lines from healthy services that no signature may claim. */
const BENIGN = [
  'nginx.service: Succeeded.',
  'Started nginx.service - A high performance web server and a reverse proxy server.',
  '812:M 02 May 2024 10:11:12.345 * Ready to accept connections tcp',
  '2024-05-02 10:11:12.345 UTC [812] LOG:  database system is ready to accept connections',
  'sshd[1902]: Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2: ED25519 SHA256:abc',
  'CRON[1902]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)',
  '[NOTICE]   (812) : New worker (813) forked',
];

function allPaths(p: ServiceProfile): string[] {
  return [...(p.runtimeFiles ?? []), ...(p.runtimeDirs ?? []), ...(p.configPaths ?? [])];
}

const profiles = [...PROFILES.values()];

describe('profile catalog', () => {
  it('holds all 28 services under unique names', () => {
    expect(new Set(PROFILE_NAMES).size).toBe(PROFILE_NAMES.length);
    expect(PROFILE_NAMES.length).toBe(28);
    for (const name of FULL) expect(findProfile(name), name).toBeDefined();
    for (const name of ['timesyncd', 'resolved', 'php-fpm', 'node-exporter', 'bind9']) expect(findProfile(name), name).toBeDefined();
  });

  it.each(profiles.map((p) => [p.name, p] as const))('%s is well formed', (_name, p) => {
    expect(p.units.length).toBeGreaterThan(0);
    expect(p.description.length).toBeGreaterThan(0);
    for (const argv of [p.liveness, p.configTest]) {
      if (argv === undefined) continue;
      expect(argv.length).toBeGreaterThan(0);
      for (const arg of argv) {
        expect(typeof arg).toBe('string');
        expect(arg.length).toBeGreaterThan(0);
        expect(arg, `shell metacharacter in ${JSON.stringify(argv)}`).not.toMatch(SHELL_META);
      }
    }
    for (const path of allPaths(p)) {
      expect(path.startsWith('/'), path).toBe(true);
      expect(path.split('/'), path).not.toContain('..');
    }
    if (p.port !== undefined) expect(Number.isInteger(p.port) && p.port > 0 && p.port < 65536).toBe(true);
    for (const sig of p.logSignatures ?? []) {
      expect(() => new RegExp(sig.pattern, 'i')).not.toThrow();
      expect(sig.symptom).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(sig.hint.length).toBeGreaterThan(0);
    }
  });

  it('keeps each unit stem in one profile only', () => {
    const owner = new Map<string, string>();
    for (const p of profiles) {
      for (const unit of p.units) {
        const stem = unit.replace(/\.(service|socket)$/, '').split('@')[0] ?? unit;
        const prev = owner.get(stem);
        expect(prev === undefined || prev === p.name, `${stem} claimed by ${prev} and ${p.name}`).toBe(true);
        owner.set(stem, p.name);
      }
    }
  });

  it.each(FULL)('%s is fully described', (name) => {
    const p = findProfile(name)!;
    expect(p.configTest !== undefined || p.liveness !== undefined).toBe(true);
    if (!NO_FIXED_RUNTIME_FILE.has(name)) expect(p.runtimeFiles?.length ?? 0).toBeGreaterThan(0);
    expect(p.configPaths?.length ?? 0).toBeGreaterThan(0);
    expect(p.reloadable).toBeDefined();
    const n = p.logSignatures?.length ?? 0;
    expect(n).toBeGreaterThanOrEqual(4);
    expect(n).toBeLessThanOrEqual(8);
  });

  it.each(profiles.map((p) => [p.name, p] as const))('%s: every signature matches an example line, every example a signature', (name, p) => {
    const lines = EXAMPLES[name] ?? [];
    if (FULL.includes(name)) expect(lines.length).toBeGreaterThan(0);
    const regexes = (p.logSignatures ?? []).map((s) => new RegExp(s.pattern, 'i'));
    regexes.forEach((re, i) => {
      expect(
        lines.some((l) => re.test(l)),
        `${name} signature ${p.logSignatures![i]!.symptom} /${re.source}/ matches no example`,
      ).toBe(true);
    });
    for (const line of lines)
      expect(
        regexes.some((re) => re.test(line)),
        `no signature matches: ${line}`,
      ).toBe(true);
  });

  it('leaves ordinary healthy lines alone', () => {
    for (const p of profiles) {
      for (const sig of p.logSignatures ?? []) {
        const re = new RegExp(sig.pattern, 'i');
        for (const line of BENIGN) expect(re.test(line), `${p.name}/${sig.symptom} claims: ${line}`).toBe(false);
      }
    }
  });

  it('is frozen', () => {
    const p = findProfile('nginx')!;
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.units)).toBe(true);
    expect(Object.isFrozen(p.logSignatures![0])).toBe(true);
    expect(Object.isFrozen(PROFILE_NAMES)).toBe(true);
  });
});

describe('profileForUnit', () => {
  it('matches bare names, .service names and templated instances', () => {
    expect(profileForUnit('postgresql@15-main.service')?.name).toBe('postgresql');
    expect(profileForUnit('postgresql@16-main.service')?.name).toBe('postgresql');
    expect(profileForUnit('nginx')?.name).toBe('nginx');
    expect(profileForUnit('nginx.service')?.name).toBe('nginx');
    expect(profileForUnit('redis-server')?.name).toBe('redis');
    expect(profileForUnit('mysql.service')?.name).toBe('mariadb');
    expect(profileForUnit('sshd')?.name).toBe('ssh');
    expect(profileForUnit('php8.2-fpm.service')?.name).toBe('php-fpm');
    expect(profileForUnit('postfix@-.service')?.name).toBe('postfix');
    expect(profileForUnit('docker.socket')?.name).toBe('docker');
    expect(profileForUnit('systemd-timesyncd.service')?.name).toBe('timesyncd');
  });
  it('returns undefined for unknown units', () => {
    expect(profileForUnit('unknown-thing.service')).toBeUndefined();
    expect(profileForUnit('')).toBeUndefined();
    expect(findProfile('unknown')).toBeUndefined();
  });
});
