/**
 * Recurring weekly windows (maintenance: "mon-fri 02:00-04:00 Europe/Berlin"), evaluated at a given instant in the
 * window's own time zone with Intl, so no time zone database of our own is needed. A window is named by the day
 * it starts on; one whose end is before its start runs past midnight into the next day.
 */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyWindow {
  days: readonly Weekday[];
  /** HH:MM, 24-hour. */
  from: string;
  to: string;
  timeZone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(zone: string): boolean {
  if (zone.length > 64) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The weekday and seconds since local midnight of `at` in `timeZone`. */
function localTime(at: number, timeZone: string): { day: number; seconds: number } {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(at))
      .map((part) => [part.type, part.value]),
  );
  const day = WEEKDAYS.indexOf((parts.weekday ?? 'Sun').toLowerCase().slice(0, 3) as Weekday);
  return { day, seconds: Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second) };
}

function minutes(time: string): number {
  const [hours, mins] = time.split(':').map(Number);
  return hours! * 60 + mins!;
}

/**
 * When the occurrence of the window that contains `at` ends (ms since the epoch), or undefined when `at` is outside
 * it. Across a daylight-saving change the end may be off by the hour the clocks moved.
 */
export function windowEndAt(window: WeeklyWindow, at: number): number | undefined {
  const { day, seconds } = localTime(at, window.timeZone);
  const from = minutes(window.from) * 60;
  const to = minutes(window.to) * 60;
  const startsOn = (weekday: number) => window.days.includes(WEEKDAYS[(weekday + 7) % 7]!);
  if (from < to) {
    return startsOn(day) && seconds >= from && seconds < to ? at + (to - seconds) * 1000 : undefined;
  }
  // Past midnight: from today's start to the end of the day, or from yesterday's start until `to` today.
  if (startsOn(day) && seconds >= from) return at + (86_400 - seconds + to) * 1000;
  if (startsOn(day - 1) && seconds < to) return at + (to - seconds) * 1000;
  return undefined;
}

/** "mon,tue 02:00-04:00 Europe/Berlin". */
export function describeWindow(window: WeeklyWindow): string {
  const days = window.days.length === 7 ? 'daily' : window.days.join(',');
  return `${days} ${window.from}-${window.to} ${window.timeZone}`;
}
