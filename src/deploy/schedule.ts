/** Deployment windows in a time zone, with the time passed in. Pure (Intl is computation, not I/O). */

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

export interface Window {
  readonly days: readonly Day[];
  /** "HH:MM" local time; `to` may be earlier than `from` for a window across midnight. */
  readonly from: string;
  readonly to: string;
  readonly timezone: string;
}

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
};

/** Local weekday and minute of the day of `at` in `timezone`. */
export function localTime(at: Date, timezone: string): { day: Day; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    day: get('weekday').toLowerCase().slice(0, 3) as Day,
    minute: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Is `at` inside the window? A window across midnight belongs to the day it starts on. */
export function inWindow(at: Date, w: Window): boolean {
  const { day, minute } = localTime(at, w.timezone);
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  if (from < to) return w.days.includes(day) && minute >= from && minute < to;
  const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7]!;
  return (w.days.includes(day) && minute >= from) || (w.days.includes(yesterday) && minute < to);
}

/** The first minute at or after `at` inside the window (searches 8 days ahead), or undefined if none. */
export function nextOpening(at: Date, w: Window): Date | undefined {
  if (inWindow(at, w)) return at;
  const start = new Date(Math.ceil(at.getTime() / 60_000) * 60_000);
  // Step a minute at a time but jump fast: check each minute boundary where the local minute equals `from`.
  for (let t = start.getTime(); t < start.getTime() + 8 * 86_400_000; t += 60_000) {
    const d = new Date(t);
    if (localTime(d, w.timezone).minute === minutesOf(w.from) && inWindow(d, w)) return d;
  }
  return undefined;
}

export function describeWindow(w: Window): string {
  return `${w.days.join(', ')} ${w.from}–${w.to} ${w.timezone}`;
}
