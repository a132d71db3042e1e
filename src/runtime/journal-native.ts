/**
 * journald's native protocol, for log entries with fields of their own (SERVICE=, TASK=, PHASE=, ACTION=) that
 * `journalctl SERVICE=web` filters on. journald's stdout stream carries text only, and Node has no unix datagram
 * sockets, so entries go through libsystemd's sd_journal_sendv, called with koffi (a maintained FFI with prebuilt
 * binaries: nothing is compiled at install). Loaded only when the daemon's output is journald's own stream.
 */
import { createRequire } from 'node:module';

/** An entry: journald field names (upper case, digits, underscore) and their values. */
export type JournalFields = ReadonlyArray<readonly [name: string, value: string]>;

export interface NativeJournal {
  /** Sends one entry; 0, or a negative errno when journald refused it. Never throws. */
  send(fields: JournalFields): number;
}

/** Loads libsystemd's sd_journal_sendv; throws, saying why, when koffi or libsystemd cannot be loaded. */
export function openNativeJournal(): NativeJournal {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const library = koffi.load('libsystemd.so.0');
  const iovec = koffi.struct('ao_iovec', { iov_base: 'void *', iov_len: 'size_t' });
  const sendv = library.func('sd_journal_sendv', 'int', [koffi.pointer(iovec), 'int']) as (entries: Array<{ iov_base: Buffer; iov_len: number }>, count: number) => number;
  return {
    send(fields) {
      const entries = fields.map(([name, value]) => {
        const buffer = Buffer.from(`${name}=${value}`);
        return { iov_base: buffer, iov_len: buffer.length };
      });
      try {
        return sendv(entries, entries.length);
      } catch {
        return -22; // EINVAL: the entry could not be marshalled
      }
    },
  };
}
