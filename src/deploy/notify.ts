/**
 * Who hears of a run besides its own channel (deploy.yml `notify:`, docs/after.md): a decision that starts a run,
 * opens a gate, raises a critical alert or ends the run gets a `notify` effect naming the channels to tell. Top-level
 * channels hear of every run; an environment's, of the runs that go there (start, end) and of its own gates and
 * critical alerts. Pure.
 */
import type { NoticeKind, NotifyRules } from './after-rules.js';
import type { Decision, Effect } from './decision.js';
import type { Run, RunEvent } from './types.js';

/** The channels told of `notice` about `run` (`env`: where a gate or alert is), each once, in deploy.yml's order. */
export function channelsFor(rules: NotifyRules, run: Run, notice: NoticeKind, env?: string): string[] {
  const envs = env ? [env] : [...new Set(run.steps.map((s) => s.env))];
  const targets = [...rules.all, ...envs.flatMap((e) => rules.byEnv[e] ?? [])];
  return [...new Set(targets.filter((t) => t.on.includes(notice)).map((t) => t.channel))];
}

/** `d` with a notify effect for each thing in it the channels are told of (none when nobody is to be told). */
export function withNotices(
  run: Run,
  event: RunEvent,
  d: Decision,
  rules: NotifyRules | undefined,
): Decision {
  if (!d.ok || !rules) return d;
  const notices: Effect[] = [];
  const add = (notice: NoticeKind, index?: number, metrics?: readonly string[]) => {
    const env = index === undefined ? undefined : d.next.steps[index]?.env;
    const channels = channelsFor(rules, d.next, notice, env);
    if (channels.length)
      notices.push({
        type: 'notify',
        notice,
        channels,
        ...(index === undefined ? {} : { index }),
        ...(metrics ? { metrics } : {}),
      });
  };
  if (event.type === 'begin' && run.status === 'running' && d.next !== run) add('start');
  for (const e of d.effects) {
    if (e.type === 'openGate') add('gate', e.index);
    if (e.type === 'alert' && e.level === 'critical')
      add(
        'critical',
        e.index,
        e.judged.filter((j) => j.level === 'critical').map((j) => j.key),
      );
  }
  if (run.status === 'running' && d.next.status !== 'running') add('end');
  return notices.length ? { ...d, effects: [...d.effects, ...notices] } : d;
}
