/**
 * A connection to systemd's D-Bus API through dbus-next (pure JavaScript, maintained, with types): the system
 * bus when a bus daemon runs, else systemd's private socket /run/systemd/private, the peer-to-peer socket
 * systemctl itself uses when there is no bus (as in the lab or a minimal host). That socket has no bus daemon to
 * answer Hello and AddMatch, so those are answered locally; systemd sends its signals to every subscribed
 * private connection anyway. Calls are raw method calls and signals raw messages: no proxy introspection.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import dbus from 'dbus-next';

const require = createRequire(import.meta.url);
/** dbus-next's connection factory (not exported from its index): lets the private socket get a Hello shim. */
const createConnection = require('dbus-next/lib/connection.js') as (options: { busAddress: string }) => DbusConnection;
/** Its MessageBus class (the index exports only factories that always connect with Hello). */
const MessageBus = require('dbus-next/lib/bus.js') as new (connection: DbusConnection) => dbus.MessageBus;

interface DbusConnection extends NodeJS.EventEmitter {
  message(message: dbus.Message): void;
  stream: { end(): void };
}

export const SYSTEM_BUS_SOCKET = '/run/dbus/system_bus_socket';
export const PRIVATE_SOCKET = '/run/systemd/private';
const SYSTEMD = 'org.freedesktop.systemd1';
const CONNECT_TIMEOUT_MS = 3_000;

export interface SystemdSignal {
  path: string;
  interface: string;
  member: string;
  body: unknown[];
}

export interface SystemdBus {
  /** Which socket it reached. */
  readonly address: string;
  call(path: string, iface: string, member: string, signature?: string, body?: unknown[]): Promise<unknown[]>;
  onSignal(listener: (signal: SystemdSignal) => void): () => void;
  onClose(listener: (error: unknown) => void): void;
  close(): void;
}

/** Connects to the system bus, else the private socket; `socket` forces one path (tests). */
export async function connectSystemdBus(options: { socket?: string } = {}): Promise<SystemdBus> {
  const socket = options.socket ?? (existsSync(SYSTEM_BUS_SOCKET) ? SYSTEM_BUS_SOCKET : PRIVATE_SOCKET);
  if (!existsSync(socket)) throw new Error(`${socket} does not exist`);
  const direct = socket !== SYSTEM_BUS_SOCKET;
  const connection = createConnection({ busAddress: `unix:path=${socket}` });
  if (direct) answerBusDaemonLocally(connection);
  const bus = new MessageBus(connection);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from ${socket} within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    bus.once('connect', () => (clearTimeout(timer), resolve()));
    bus.once('error', (error: unknown) => (clearTimeout(timer), reject(error instanceof Error ? error : new Error(String((error as { message?: string })?.message ?? error)))));
  });
  const listeners = new Set<(signal: SystemdSignal) => void>();
  bus.on('message', (message: dbus.Message) => {
    if (message.type !== dbus.MessageType.SIGNAL) return;
    const signal = { path: message.path, interface: message.interface, member: message.member, body: message.body };
    for (const listener of listeners) listener(signal);
  });
  if (!direct) {
    // On the system bus, signals arrive only for match rules.
    for (const rule of [
      `type='signal',sender='${SYSTEMD}',interface='org.freedesktop.systemd1.Manager'`,
      `type='signal',sender='${SYSTEMD}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'`,
    ]) {
      await bus.call(
        new dbus.Message({
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'AddMatch',
          signature: 's',
          body: [rule],
        }),
      );
    }
  }
  return {
    address: socket,
    async call(path, iface, member, signature, body) {
      const reply = await bus.call(new dbus.Message({ destination: SYSTEMD, path, interface: iface, member, signature, body }));
      return reply?.body ?? [];
    },
    onSignal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose(listener) {
      bus.on('error', listener);
      (connection as NodeJS.EventEmitter).on('end', () => listener(new Error('the D-Bus connection closed')));
    },
    close() {
      listeners.clear();
      bus.disconnect();
    },
  };
}

/** Answers what a bus daemon would (Hello, AddMatch, RemoveMatch) on a peer-to-peer connection. */
function answerBusDaemonLocally(connection: DbusConnection): void {
  const send = connection.message.bind(connection);
  connection.message = (message) => {
    if (message.destination !== 'org.freedesktop.DBus') return send(message);
    const hello = message.member === 'Hello';
    const reply = new dbus.Message({ type: dbus.MessageType.METHOD_RETURN, replySerial: String(message.serial), signature: hello ? 's' : '', body: hello ? [':1.private'] : [] });
    (reply as unknown as { replySerial: number }).replySerial = message.serial!;
    setImmediate(() => connection.emit('message', reply));
  };
}
