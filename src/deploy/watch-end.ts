/**
 * When a monitor step stops watching, whatever ended it (its last checkpoint, a rollback, the run cancelled), its
 * readings are drawn: decide() adds a `chart` effect, after the alerts and the card and before the work that
 * follows (the next step, the report). Pure.
 */
import type { Decision, Effect } from './decision.js';
import type { Run } from './types.js';

const FOLLOWING = new Set<Effect['type']>(['runStep', 'openGate', 'startMonitor', 'report']);

/** The monitor steps watching in `run` that no longer watch in `next` (or whose run ended). */
export function watchesEnded(run: Run, next: Run): number[] {
  return run.steps.flatMap((s, i) =>
    s.name === 'monitor' &&
    s.status === 'watching' &&
    (next.steps[i]?.status !== 'watching' || next.status !== 'running')
      ? [i]
      : [],
  );
}

export function chartWhenWatchEnds(run: Run, d: Decision): Decision {
  if (!d.ok || d.next === run) return d;
  const ended = watchesEnded(run, d.next);
  if (!ended.length) return d;
  const charts: Effect[] = ended.map((index) => ({ type: 'chart', index }));
  const at = d.effects.findIndex((e) => FOLLOWING.has(e.type));
  const effects =
    at === -1 ? [...d.effects, ...charts] : [...d.effects.slice(0, at), ...charts, ...d.effects.slice(at)];
  return { ...d, effects };
}
