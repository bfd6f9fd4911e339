/** The run's messages in Slack: its card, its gates' cards, replies in its thread. Views of the state, redrawn. */
import { gateName, progress } from '../deploy/approvals.js';
import { requesterOf } from '../deploy/gate-decisions.js';
import { knownTraces, measuredFrom } from '../deploy/known-traces.js';
import { boundDowns, downFileNames, planRollback, type RollbackPlan } from '../deploy/rollback-plan.js';
import { checksumsOf, serviceKey } from '../deploy/service-files.js';
import { latestResult, resultOf, type StepResults } from '../deploy/step-results.js';
import type { Run } from '../deploy/types.js';
import { textMessage } from '../slack/blocks.js';
import { approvalCard, type GateView } from '../slack/gate-blocks.js';
import { esc, type Message } from '../slack/mrkdwn.js';
import { runCard } from '../slack/run-card.js';
import { appliesOf } from '../store/apply-traces.js';
import { loadApprovals } from '../store/approvals.js';
import { findMessage, rememberMessage } from '../store/messages.js';
import { loadStepResults } from '../store/step-results.js';
import { digestOf, discoverMigrations } from '../target/files.js';
import { folderOf } from '../targets.js';
import type { Deps } from './deps.js';
import { monitorProgress } from './monitor-view.js';
import { readGroups } from './policy.js';
import { rollbackGateView } from './rollback-loss-view.js';

export async function update(deps: Deps, runId: number, kind: string, message: Message): Promise<void> {
  const ref = await findMessage(deps.db, runId, kind);
  if (!ref) return;
  // The cards are views of the state: failing to redraw one is logged, never allowed to stop a run.
  await deps.chat
    .update(ref.channel, ref.ts, message)
    .catch((e: Error) => deps.log.warn({ runId, kind, error: e.message }, 'could not update a card'));
}

/** Post in the run's thread and remember the message as `kind`. */
export async function reply(deps: Deps, run: Run, kind: string, message: Message): Promise<void> {
  const card = await findMessage(deps.db, run.id, 'card');
  if (!card) return;
  const ts = await deps.chat.post(card.channel, message, card.ts);
  await rememberMessage(deps.db, run.id, kind, card.channel, ts);
}

/**
 * What a rollback of the environment of step `index` would undo: this run's files applied there, newest first,
 * back to the first without a down file the run is bound to. With services, each service's plan, the service
 * applied last first, its files named `service/id`.
 */
export function rollbackPlanAt(
  deps: Deps,
  run: Run,
  results: StepResults,
  index: number,
  folder?: ReturnType<typeof discoverMigrations>,
): RollbackPlan {
  const { env } = run.steps[index]!;
  const services = [
    ...new Set(
      run.steps.flatMap((s) => (s.env === env && s.name === 'apply' && s.service ? [s.service] : [])),
    ),
  ];
  if (!services.length)
    return planFor(
      run.checksums,
      latestResult(results, 'apply', env, index + 1),
      folder ?? discoverMigrations(deps.deploy.migrationsDir, deps.deploy.migrationsLayout),
    );
  const plans = services.reverse().map((service) => {
    const { dir, layout } = folderOf(deps.deploy, service);
    const plan = planFor(
      checksumsOf(run.checksums, service),
      latestResult(results, 'apply', env, index + 1, service),
      discoverMigrations(dir, layout),
    );
    const named = (ids: readonly string[]) => ids.map((id) => serviceKey(service, id));
    return {
      undo: named(plan.undo),
      keep: named(plan.keep),
      missingDown: named(plan.missingDown),
      downFiles: Object.fromEntries(
        Object.entries(plan.downFiles ?? {}).map(([id, name]) => [serviceKey(service, id), name]),
      ),
    };
  });
  return {
    undo: plans.flatMap((p) => p.undo),
    keep: plans.flatMap((p) => p.keep),
    missingDown: plans.flatMap((p) => p.missingDown),
    downFiles: Object.assign({}, ...plans.map((p) => p.downFiles)),
  };
}

function planFor(
  checksums: Readonly<Record<string, string>>,
  apply: { files: readonly { id: string }[] } | undefined,
  folder: ReturnType<typeof discoverMigrations>,
): RollbackPlan {
  const applied = apply?.files.map((f) => f.id) ?? [];
  const downs = new Set(folder.migrations.filter((m) => m.downPath).map((m) => m.id));
  return planRollback(
    applied,
    boundDowns(checksums, (id) => downs.has(id)),
    downFileNames(folder),
  );
}

/** The lock trace measured of the files pending at gate `index` (where each was last applied), with sizes here. */
async function locksAt(
  deps: Deps,
  run: Run,
  results: StepResults,
  index: number,
): Promise<GateView['locks']> {
  const preflight = resultOf(run, results, index, 'preflight');
  const pending = preflight?.pending ?? [];
  const env = run.steps[index]!.env;
  const { applies } = await appliesOf(
    deps.db,
    pending.map((p) => p.id),
    env,
  );
  const measured = measuredFrom(knownTraces(applies, pending, env), pending);
  return measured && { measured, sizes: preflight?.relationSizes };
}

export async function gateView(deps: Deps, run: Run, index: number): Promise<GateView> {
  const step = run.steps[index]!;
  const p = deps.policy.gate(step.env, step.stage);
  const list = await loadApprovals(deps.db, run.id, index);
  const groups = await readGroups(
    deps.chat,
    p.rules.flatMap((r) => (r.usergroup ? [r.usergroup] : [])),
  );
  const results = await loadStepResults(deps.db, run.id);
  const known = p.rules.every((r) => !r.usergroup || !groups.failed[r.usergroup]);
  return {
    env: step.env,
    index,
    digest: digestOf(run.checksums),
    approvals: list,
    progress: known ? progress(p, list, groups.members) : undefined,
    window: deps.policy.window(step.env),
    ...(step.purpose === 'rollback'
      ? await rollbackGateView(deps, run, results, index, rollbackPlanAt(deps, run, results, index))
      : servicesAt(run, index).length
        ? servicesGate(run, results, index)
        : {
            files: resultOf(run, results, index, 'preflight')?.pending,
            lint: resultOf(run, results, index, 'preflight')?.lint,
            locks: await locksAt(deps, run, results, index),
          }),
  };
}

/** The services whose preflight ran on the environment of step `index`, in order (none for one database). */
const servicesAt = (run: Run, index: number): string[] =>
  run.steps.flatMap((s) =>
    s.env === run.steps[index]!.env && s.name === 'preflight' && s.service && !s.purpose ? [s.service] : [],
  );

/** A gate of an environment of several services: every service's pending files (`service/…`) and lint, in order. */
function servicesGate(run: Run, results: StepResults, index: number): Pick<GateView, 'files' | 'lint'> {
  const env = run.steps[index]!.env;
  const each = servicesAt(run, index).map((service) => ({
    service,
    preflight: latestResult(results, 'preflight', env, index, service),
  }));
  const lints = each.flatMap(({ service, preflight }) =>
    preflight?.lint ? [{ service, lint: preflight.lint }] : [],
  );
  const sum = (k: 'files' | 'more' | 'errors' | 'warnings' | 'allowed') =>
    lints.reduce((t, l) => t + l.lint[k], 0);
  return {
    files: each.flatMap(({ service, preflight }) =>
      (preflight?.pending ?? []).map((p) => ({
        ...p,
        id: serviceKey(service, p.id),
        ...(p.file ? { file: serviceKey(service, p.file) } : {}),
      })),
    ),
    ...(lints.length
      ? {
          lint: {
            files: sum('files'),
            findings: lints.flatMap(({ service, lint }) =>
              lint.findings.map((f) => ({ ...f, file: serviceKey(service, f.file) })),
            ),
            more: sum('more'),
            errors: sum('errors'),
            warnings: sum('warnings'),
            allowed: sum('allowed'),
            problems: lints.flatMap(({ service, lint }) => lint.problems.map((p) => `${service}: ${p}`)),
          },
        }
      : {}),
  };
}

async function cardOf(deps: Deps, run: Run): Promise<Message> {
  const gates = new Map<number, GateView>();
  const labels = new Map<number, string>();
  for (const [i, s] of run.steps.entries()) {
    if (s.name === 'approval' && (s.status === 'waiting' || s.status === 'scheduled'))
      gates.set(i, await gateView(deps, run, i));
    if (s.status === 'watching') labels.set(i, await monitorProgress(deps, run, i));
  }
  return runCard(run, gates, labels);
}

export async function renderCard(deps: Deps, run: Run): Promise<void> {
  // A run with no card has nobody to show it to: nothing to build.
  if (await findMessage(deps.db, run.id, 'card')) await update(deps, run.id, 'card', await cardOf(deps, run));
}

export async function renderGate(deps: Deps, run: Run, index: number): Promise<void> {
  await update(deps, run.id, `gate:${index}`, approvalCard(run, await gateView(deps, run, index)));
}

/** The run card and every gate card that was ever posted (a card clicked was out of date). */
export async function renderAll(deps: Deps, run: Run): Promise<void> {
  await renderCard(deps, run);
  for (const [i, s] of run.steps.entries())
    if (s.name === 'approval' && s.status !== 'pending') await renderGate(deps, run, i);
}

/** Remind the approvers still needed on an open gate, in the thread. */
export async function remind(deps: Deps, run: Run, index: number): Promise<void> {
  const view = await gateView(deps, run, index);
  const p = deps.policy.gate(view.env, run.steps[index]!.stage);
  const missing = (view.progress?.rules ?? []).filter((r) => r.approvers.length < r.need).map((r) => r.role);
  const mentions = p.rules
    .filter((r) => missing.includes(r.role))
    .flatMap((r) =>
      r.usergroup
        ? [`<!subteam^${r.usergroup}>`]
        : (r.users ?? []).filter((u) => u !== requesterOf(run, index)).map((u) => `<@${u}>`),
    );
  await reply(
    deps,
    run,
    `reminder:${index}`,
    textMessage(
      `⏰ Reminder: run #${run.id} is waiting for approval on ${esc(gateName(p))} (still needed: ${missing.map(esc).join(', ') || 'none'}). ${mentions.join(' ')}`,
    ),
  );
}
