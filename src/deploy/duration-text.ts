/**
 * The one way a duration is written for people: milliseconds below a second ("840 ms"), seconds with one decimal
 * below a minute ("8.1 s"), then minutes and seconds ("2 min 5 s"), then hours and minutes ("3 h 12 min"). Pure.
 */
export function durationText(ms: number): string {
  const n = Math.max(0, ms);
  if (Math.round(n) < 1000) return `${Math.round(n)} ms`;
  // 59.96 s would read "60.0 s": past 59.9 it is a minute.
  if (Math.round(n / 100) < 600) return `${(n / 1000).toFixed(1)} s`;
  const s = Math.round(n / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const min = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${min ? ` ${min} min` : ''}`;
}

/**
 * A stored sentence (a step's summary) with its "8117 ms" written by durationText: summaries saved before every
 * writer used it keep raw milliseconds.
 */
export const durationsIn = (text: string): string =>
  text.replace(/\b(\d+(?:\.\d+)?) ms\b/g, (_, n: string) => durationText(Number(n)));

/** A table cell's duration: empty when none was measured. */
export const durationCell = (ms: number | undefined): string => (ms === undefined ? '' : durationText(ms));
