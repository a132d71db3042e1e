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
  stream: NodeJS.EventEmitter & { end(): void };
}

export const SYSTEM_BUS_SOCKET = '/run/dbus/system_bus_socket';
export const PRIVATE_SOCKET = '/run/systemd/private';
const SYSTEMD = 'org.freedesktop.systemd1';
const CONNECT_TIMEOUT_MS = 3_000;
/** What libdbus waits for a reply by default. */
const CALL_TIMEOUT_MS = 25_000;
/**
 * Calls in flight on one connection: the bus daemon refuses more than 128 pending replies per connection (its
 * max_replies_per_connection), which a full cycle over 200 units would pass; the rest wait their turn.
 */
const MAX_CALLS_IN_FLIGHT = 32;

export interface SystemdSignal {
  path: string;
  interface: string;
  member: string;
  body: unknown[];
}

export interface SystemdBus {
  /** Which socket it reached. */
  readonly address: string;
  /** Rejects when systemd does not answer within the call timeout, or when the connection closes first. */
  call(path: string, iface: string, member: string, signature?: string, body?: unknown[]): Promise<unknown[]>;
  onSignal(listener: (signal: SystemdSignal) => void): () => void;
  onClose(listener: (error: unknown) => void): void;
  close(): void;
}

/** Connects to the system bus, else the private socket; `socket` forces one path (tests). */
export async function connectSystemdBus(options: { socket?: string; callTimeoutMs?: number } = {}): Promise<SystemdBus> {
  const socket = options.socket ?? (existsSync(SYSTEM_BUS_SOCKET) ? SYSTEM_BUS_SOCKET : PRIVATE_SOCKET);
  if (!existsSync(socket)) throw new Error(`${socket} does not exist`);
  const direct = socket !== SYSTEM_BUS_SOCKET;
  const callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
  const connection = createConnection({ busAddress: `unix:path=${socket}` });
  if (direct) answerBusDaemonLocally(connection);
  const bus = new MessageBus(connection);

  // dbus-next never settles a call whose connection closed (the bus daemon restarted, systemd went away): settle
  // them here, so no caller waits forever. This listener also keeps a late 'error' event from being thrown.
  const closeListeners = new Set<(error: Error) => void>();
  let closedWith: Error | undefined;
  const closed = (error: unknown) => {
    if (closedWith) return;
    closedWith = error instanceof Error ? error : new Error(`the D-Bus connection failed: ${String((error as { message?: string })?.message ?? error)}`);
    for (const listener of closeListeners) listener(closedWith);
    closeListeners.clear();
  };
  bus.on('error', closed);
  connection.stream.on('close', () => closed(new Error('the D-Bus connection to systemd closed')));

  const call = (message: dbus.Message, member: string, timeoutMs = callTimeoutMs): Promise<unknown[]> => {
    if (closedWith) return Promise.reject(closedWith);
    return new Promise<unknown[]>((resolve, reject) => {
      const settle = (error: Error | undefined, value: unknown[] = []) => {
        clearTimeout(timer);
        closeListeners.delete(settle);
        if (error) reject(error);
        else resolve(value);
      };
      const timer = setTimeout(() => settle(new Error(`no answer to ${member} from ${socket} within ${timeoutMs} ms`)), timeoutMs);
      closeListeners.add(settle);
      bus.call(message).then(
        (reply) => settle(undefined, (reply?.body as unknown[] | undefined) ?? []),
        (error: unknown) => settle(error instanceof Error ? error : new Error(String(error))),
      );
    });
  };
  const busDaemon = (member: string, signature: string, body: unknown[]) =>
    call(
      new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body }),
      member,
      CONNECT_TIMEOUT_MS,
    );

  try {
    // dbus-next sends Hello itself (answered locally on the private socket) and says 'connect' on its reply.
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => (clearTimeout(timer), reject(error));
      const timer = setTimeout(() => failed(new Error(`no answer from ${socket} within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      closeListeners.add(failed);
      bus.once('connect', () => (clearTimeout(timer), closeListeners.delete(failed), resolve()));
    });
    if (direct)
      await awaken(
        (timeoutMs) =>
          call(new dbus.Message({ destination: SYSTEMD, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' }), 'Ping', timeoutMs),
        () => closedWith,
      );
    // On the system bus, signals arrive only for match rules; systemd sends them to its private connections anyway.
    if (!direct) {
      await busDaemon('AddMatch', 's', [`type='signal',sender='${SYSTEMD}',interface='org.freedesktop.systemd1.Manager'`]);
      await busDaemon('AddMatch', 's', [`type='signal',sender='${SYSTEMD}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'`]);
    }
  } catch (error) {
    bus.disconnect();
    throw error;
  }

  const listeners = new Set<(signal: SystemdSignal) => void>();
  bus.on('message', (message: dbus.Message) => {
    if (message.type !== dbus.MessageType.SIGNAL) return;
    const signal = { path: message.path, interface: message.interface, member: message.member, body: message.body };
    for (const listener of listeners) listener(signal);
  });
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const limited = async (path: string, iface: string, member: string, signature?: string, body?: unknown[]): Promise<unknown[]> => {
    // A finished call hands its slot straight to the next in line, so no newcomer slips in between.
    if (inFlight >= MAX_CALLS_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
    else inFlight++;
    try {
      return await call(new dbus.Message({ destination: SYSTEMD, path, interface: iface, member, signature, body }), member);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else inFlight--;
    }
  };
  return {
    address: socket,
    call: limited,
    onSignal(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose(listener) {
      if (closedWith) listener(closedWith);
      else closeListeners.add(listener);
    },
    close() {
      listeners.clear();
      bus.disconnect();
    },
  };
}

/**
 * Pings systemd until it answers. Over its private socket, systemd (252, as measured in the lab) leaves a message
 * that arrives in the same read as the handshake's BEGIN unread until more bytes come, and dbus-next writes the
 * first calls right behind BEGIN: without this, four connections in five hung on their first call. A later ping
 * wakes it, and then every earlier message is answered too.
 */
async function awaken(ping: (timeoutMs: number) => Promise<unknown>, closedWith: () => Error | undefined): Promise<void> {
  let answered = false;
  const started = performance.now();
  for (let delay = 20; performance.now() - started < CONNECT_TIMEOUT_MS; delay = Math.min(delay * 2, 500)) {
    const reply = ping(CONNECT_TIMEOUT_MS).then(
      () => void (answered = true),
      () => undefined,
    );
    await Promise.race([reply, new Promise((resolve) => setTimeout(resolve, delay))]);
    if (answered) return;
    const closed = closedWith();
    if (closed) throw closed;
  }
  throw new Error(`systemd did not answer a ping within ${CONNECT_TIMEOUT_MS} ms`);
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
