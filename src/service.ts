import type { Decision as ApprovalDecision } from './deploy/approvals.js';
import { findMigration } from './deploy/files.js';
import { describeDrift, planPending } from './deploy/ledger.js';
import { createEngine, type EngineDeps } from './engine.js';
import { createGates } from './gates.js';
import { createMonitor } from './monitor.js';
import { recoverOrphans } from './recovery.js';
import { gatherReport } from './reporting.js';
import { type ListCell, migrationList, statusList, textMessage } from './slack/blocks.js';
import type { Respond } from './slack/chat.js';
import { checksReply } from './slack/check-blocks.js';
import { HELP, parseSlashText, type SlashCommand } from './slack/command.js';
import { monitorMessage } from './slack/monitor-blocks.js';
import { esc, escKeepingMentions } from './slack/mrkdwn.js';
import type { AlertRef, StepRef } from './slack/refs.js';
import { reportSummary } from './slack/report.js';
import { runCard } from './slack/run-card.js';
import { startDeploy } from './start-run.js';
import * as cps from './store/checkpoints.js';
import * as runs from './store/runs.js';
import { withTargetClient } from './target/client.js';
import { describeTargetError } from './target/connect-errors.js';
import { discoverMigrations } from './target/files.js';
import { readLedger } from './target/ledger.js';
import { runVerify } from './verification.js';

export type ServiceDeps = EngineDeps;

export interface SlashInput {
  readonly user: string;
  readonly channel: string;
  readonly text: string;
}

export type Service = ReturnType<typeof createService>;

/** Checkpoints on command: at most one per run per this long (each is shown; none counts toward `consecutive`). */
const ON_DEMAND_EVERY_MS = 60_000;
const hms = (d: Date) => d.toISOString().slice(11, 19);

export function createService(deps: ServiceDeps) {
  const { deploy, log } = deps;
  const engine = createEngine(deps);
  const gates = createGates(engine, deps.chat);
  const monitor = createMonitor(engine, deps.chat);
  engine.hooks.startMonitor = monitor.start;
  engine.hooks.monitorLabel = monitor.progressText;
  const db = engine.db;

  /** A refusal from the permission table: audited, and said to the person alone. */
  async function refuse(user: string, action: string, why: string, respond: Respond, runId?: number) {
    await runs.audit(db, { actor: user, action, runId, detail: { refused: why } });
    return respond(textMessage(escKeepingMentions(why)));
  }

  async function verify(cmd: Extract<SlashCommand, { kind: 'verify' }>, input: SlashInput, respond: Respond) {
    const names = deploy.environments.map((e) => e.name);
    if (cmd.on && !names.includes(cmd.on))
      return respond(
        textMessage(
          `There is no environment "${esc(cmd.on)}". Environments in deploy.yml: ${names.join(', ')}.`,
        ),
      );
    if (cmd.runId !== undefined) {
      const run = await runs.loadRun(db, cmd.runId);
      if (!run)
        return respond(
          textMessage(`There is no run #${cmd.runId}. \`/deploy-migration status\` lists the latest runs.`),
        );
      const reached = run.steps
        .map((s, i) => ({ s, i }))
        .filter(
          ({ s }) =>
            s.name === 'verify' &&
            !['pending', 'skipped'].includes(s.status) &&
            (!cmd.on || s.env === cmd.on),
        );
      const target = reached.at(-1);
      if (!target)
        return respond(
          textMessage(
            `Run #${run.id} has not reached verification${cmd.on ? ` on ${esc(cmd.on)}` : ''} yet.`,
          ),
        );
      const verdict = await gates.authorize(input.user, 'verifyNow', target.s.env, run);
      if (verdict !== true) return refuse(input.user, 'verify.refused', verdict, respond, run.id);
      await engine.verifyOnDemand(run, target.i, input.user);
      return respond(
        textMessage(
          `Ran the checks of run #${run.id} on ${esc(target.s.env)}; the table is in the run's thread.`,
        ),
      );
    }
    const { migrations } = discoverMigrations(deploy.migrationsDir);
    const migration = findMigration(migrations, cmd.migration ?? '');
    if (!migration)
      return respond(
        textMessage(
          `There is no migration ${esc(JSON.stringify(cmd.migration))}. Available: ${migrations.map((m) => `\`${m.id}\``).join(', ')}.`,
        ),
      );
    const env = deploy.environments.find((e) => e.name === (cmd.on ?? names[0]))!;
    const verdict = await gates.authorize(input.user, 'verifyNow', env.name);
    if (verdict !== true) return refuse(input.user, 'verify.refused', verdict, respond);
    const outcome = await runVerify(env, [migration], undefined, engine.footprints, undefined, true);
    await runs.audit(db, {
      actor: input.user,
      action: 'verify.on_demand',
      detail: { migration: migration.id, env: env.name, summary: outcome.summary },
    });
    return respond(checksReply(outcome.result, `Verification of ${esc(migration.id)} on ${esc(env.name)}`));
  }

  /** watch #run: the latest figures; checkpoint #run: take one now. */
  async function watch(
    cmd: Extract<SlashCommand, { kind: 'watch' | 'checkpoint' }>,
    input: SlashInput,
    respond: Respond,
  ) {
    const run = await runs.loadRun(db, cmd.runId);
    if (!run)
      return respond(
        textMessage(`There is no run #${cmd.runId}. \`/deploy-migration status\` lists the latest runs.`),
      );
    const index = run.steps
      .map((s, i) => (s.name === 'monitor' && s.status !== 'pending' ? i : -1))
      .filter((i) => i >= 0)
      .at(-1);
    if (index === undefined)
      return respond(
        textMessage(
          `Run #${run.id} has no monitoring ${run.steps.some((s) => s.name === 'monitor') ? 'yet' : '(no environment it deploys to has a monitor plan)'}.`,
        ),
      );
    const verdict = await gates.authorize(input.user, cmd.kind, run.steps[index]!.env, run);
    if (verdict !== true) return refuse(input.user, `${cmd.kind}.refused`, verdict, respond, run.id);
    if (cmd.kind === 'checkpoint') {
      if (run.steps[index]!.status !== 'watching')
        return respond(textMessage(`Run #${run.id} is not being watched any more.`));
      const last = await cps.lastOnDemandAt(db, run.id);
      const now = engine.clock();
      if (last && now.getTime() - last.getTime() < ON_DEMAND_EVERY_MS)
        return respond(
          textMessage(
            `A checkpoint of run #${run.id} was taken on command at ${hms(last)} UTC; take the next one from ${hms(new Date(last.getTime() + ON_DEMAND_EVERY_MS))} UTC (one a minute). The planned checkpoints go on meanwhile.`,
          ),
        );
      if (!(await monitor.takeNow(run, index, now)))
        return respond(
          textMessage(
            `A checkpoint of run #${run.id} was just taken on command by someone else (one a minute).`,
          ),
        );
    }
    return respond(monitorMessage(run.id, await monitor.view((await runs.loadRun(db, run.id))!, index)));
  }

  async function status(runId: number | undefined, respond: Respond) {
    if (runId === undefined) return respond(statusList(await runs.recentRuns(db, 10)));
    const run = await runs.loadRun(db, runId);
    if (!run)
      return respond(
        textMessage(`There is no run #${runId}. \`/deploy-migration status\` lists the latest runs.`),
      );
    const card = runCard(run);
    const report = reportSummary(await gatherReport(db, deploy, run));
    return respond({
      text: card.text,
      blocks: [...card.blocks.filter((b) => b.type !== 'actions'), ...report.blocks],
    });
  }

  async function list(respond: Respond) {
    const { migrations, problems } = discoverMigrations(deploy.migrationsDir);
    const ledgers = await Promise.all(
      deploy.environments.map((env) =>
        withTargetClient(env, engine.footprints, readLedger).then(
          (l) => ({ ok: true as const, l }),
          (e: unknown) => ({ ok: false as const, problem: describeTargetError(env, e) }),
        ),
      ),
    );
    const rows = migrations.map((m) => ({
      id: m.id,
      checksum: m.checksum,
      cells: ledgers.map((l): ListCell => {
        if (!l.ok) return { state: 'unreachable' };
        const entry = l.l.find((e) => e.id === m.id);
        if (!entry) return { state: 'pending' };
        return entry.checksum === m.checksum
          ? { state: 'applied', appliedAt: entry.appliedAt }
          : { state: 'drift' };
      }),
    }));
    const notes = [...problems];
    ledgers.forEach((l, i) => {
      if (!l.ok) notes.push(l.problem);
      else {
        const last = migrations.at(-1);
        if (last)
          for (const d of planPending(migrations, l.l, last.id).drift)
            notes.push(describeDrift(d, deploy.environments[i]!.name));
      }
    });
    return respond(
      migrationList(
        deploy.environments.map((e) => e.name),
        rows,
        notes,
      ),
    );
  }

  /** A slash command, after Bolt has acknowledged it. */
  async function handleSlash(input: SlashInput, respond: Respond): Promise<void> {
    await runs.audit(db, {
      actor: input.user,
      action: 'command',
      detail: { text: input.text.slice(0, 500), channel: input.channel },
    });
    const parsed = parseSlashText(input.text);
    if (!parsed.ok) return respond(textMessage(parsed.message));
    const cmd = parsed.command;
    switch (cmd.kind) {
      case 'help':
        return respond(textMessage(HELP));
      case 'status':
        return status(cmd.runId, respond);
      case 'list':
        return list(respond);
      case 'cancel':
        return gates.cancel(input.user, cmd.runId, respond);
      case 'verify':
        return verify(cmd, input, respond);
      case 'watch':
      case 'checkpoint':
        return watch(cmd, input, respond);
      case 'deploy':
        return startDeploy(engine, deps.chat, cmd, input, respond);
    }
  }

  /** Run `work` after the ack; tell the user when it fails on our side. */
  const guarded = (what: string, respond: Respond, work: () => Promise<void>) =>
    engine.background(what, async () => {
      try {
        await work();
      } catch (e) {
        log.error({ err: e }, `${what} failed`);
        await respond(
          textMessage(
            'Something went wrong on our side while handling that. The bot log has the details; try again, or ask whoever runs the bot.',
          ),
        ).catch(() => {});
      }
    });

  return {
    handleSlash: (input: SlashInput, respond: Respond) =>
      guarded('slash command', respond, () => handleSlash(input, respond)),
    click: (
      c: {
        user: string;
        channel: string;
        triggerId?: string;
        reason?: string;
        respond: Respond;
      } & (
        | { ref: StepRef; decision: ApprovalDecision | 'cancel' | 'rollback' | 'rerun' | 'verify' }
        | { ref: AlertRef; decision: 'ack' | 'keep' }
      ),
    ) =>
      guarded('click', c.respond, () => {
        switch (c.decision) {
          case 'cancel':
            return gates.cancel(c.user, c.ref.run, c.respond);
          case 'rollback':
          case 'rerun':
            return gates.onBlocked(c.user, c.ref, c.decision, c.respond);
          case 'verify':
            return gates.verifyNow(c.user, c.ref, c.respond, c.triggerId);
          case 'ack':
          case 'keep':
            return gates.acknowledgeAlert(c.user, c.ref, c.decision === 'keep', c.respond);
          default:
            return c.reason !== undefined
              ? gates.record({ ...c, decision: c.decision })
              : gates.click({ ...c, decision: c.decision });
        }
      }),
    /** The scheduler's tick: gates (windows, expiry, reminders), then monitoring checkpoints. */
    tick: async (now: Date) =>
      (await recoverOrphans(engine)) + (await gates.tick(now)) + (await monitor.tick(now)).runs,
    /** The monitoring part of the tick, with how many checkpoint rows it took (the benchmark counts them). */
    monitorTick: (now: Date) => monitor.tick(now),
    /** At start: runs whose owner is gone end as interrupted (an interrupted rollback holds); see recovery.ts. */
    reconcile: () => recoverOrphans(engine),
    /** Resolves when every piece of background work has finished (tests, graceful shutdown). */
    idle: engine.idle,
  };
}
