/** The imperative shell: load → decide → save → render → perform effects. */
import type { DeployConfig } from './config.js';
import { findMigration } from './deploy/files.js';
import { describeDrift, planPending } from './deploy/ledger.js';
import { decide, environmentsFor, planSteps } from './deploy/machine.js';
import { redactDeep } from './deploy/redact.js';
import type { Decision, Run, RunEvent } from './deploy/types.js';
import type { Logger } from './log.js';
import {
  applyReply,
  esc,
  HELP,
  type ListCell,
  type Message,
  migrationList,
  preflightReply,
  runCard,
  statusList,
  textMessage,
} from './slack/blocks.js';
import type { Chat, Respond } from './slack/chat.js';
import { parseSlashText, type SlashCommand } from './slack/command.js';
import { runApply, runPreflight } from './steps.js';
import type { Store } from './store/db.js';
import * as runs from './store/runs.js';
import { readLedger } from './target/apply.js';
import { withTargetClient } from './target/client.js';
import { discoverMigrations } from './target/files.js';

export interface ServiceDeps {
  readonly store: Store;
  readonly deploy: DeployConfig;
  readonly chat: Chat;
  readonly log: Logger;
  readonly secrets: readonly string[];
  readonly now?: () => Date;
}

export interface SlashInput {
  readonly user: string;
  readonly channel: string;
  readonly text: string;
}

export type Service = ReturnType<typeof createService>;

export function createService(deps: ServiceDeps) {
  const { store, deploy, chat, log } = deps;
  const db = store.db;
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const inflight = new Set<Promise<unknown>>();

  /** Slow work continues after the Slack ack; failures are logged, never unhandled. */
  function background(what: string, work: () => Promise<unknown>): void {
    // setImmediate: let the HTTP acks of requests that arrived together go out before any of their work starts.
    const p = new Promise((resolve) => setImmediate(resolve))
      .then(work)
      .catch((e) => log.error({ err: e }, `${what} failed`))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }

  async function transition(runId: number, event: RunEvent): Promise<Decision> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const run = await runs.loadRun(db, runId);
      if (!run) return { ok: false, refused: `There is no run #${runId}.` };
      const d = decide(run, event);
      if (!d.ok) return d;
      if (await runs.saveRun(db, d.next, run.version)) return d;
    }
    throw new Error(`run #${runId} kept changing under us; gave up after 5 attempts`);
  }

  /** The card is a view of the state: failing to redraw it is logged, never allowed to stop a run. */
  async function renderCard(run: Run): Promise<void> {
    const card = await runs.findMessage(db, run.id, 'card');
    if (!card) return;
    await chat
      .update(card.channel, card.ts, runCard(run))
      .catch((e: Error) => log.warn({ runId: run.id, error: e.message }, 'could not update the run card'));
  }

  async function executeStep(run: Run, index: number): Promise<RunEvent> {
    const step = run.steps[index]!;
    const env = deploy.environments.find((e) => e.name === step.env);
    const started = performance.now();
    const outcome = !env
      ? {
          ok: false,
          summary: 'failed',
          reason: `Environment ${step.env} is no longer in deploy.yml.`,
          result: { problem: 'missing environment' },
        }
      : step.name === 'preflight'
        ? await runPreflight(deploy, env, run.migration)
        : await runApply(deploy, env, run.migration, { runId: run.id, appliedBy: run.requestedBy });
    const durationMs = Math.round(performance.now() - started);
    await runs.saveStepResult(db, run.id, index, redactDeep(outcome.result, deps.secrets));
    const reply: Message | undefined =
      env && step.name === 'preflight'
        ? preflightReply(outcome.result as Parameters<typeof preflightReply>[0])
        : env
          ? applyReply(outcome.result as Parameters<typeof applyReply>[0])
          : undefined;
    const card = await runs.findMessage(db, run.id, 'card');
    if (card && reply) {
      const ts = await chat.post(card.channel, reply, card.ts);
      await runs.rememberMessage(db, run.id, `step:${index}`, card.channel, ts);
    }
    const at = now();
    return outcome.ok
      ? { type: 'stepSucceeded', index, at, durationMs, summary: outcome.summary }
      : {
          type: 'stepFailed',
          index,
          at,
          durationMs,
          summary: outcome.summary,
          reason: outcome.reason ?? 'failed',
        };
  }

  /** Move a run forward until it waits or ends. */
  async function drive(runId: number, first: RunEvent): Promise<void> {
    let event: RunEvent | undefined = first;
    while (event) {
      const d = await transition(runId, event);
      if (!d.ok) {
        log.warn({ runId, refused: d.refused }, 'transition refused');
        return;
      }
      event = undefined;
      for (const effect of d.effects) {
        if (effect.type === 'renderCard') await renderCard(d.next);
        else if (effect.type === 'runStep') event = await executeStep(d.next, effect.index);
      }
    }
    const run = await runs.loadRun(db, runId);
    if (run) log.info({ runId, status: run.status }, 'run ended');
  }

  async function startDeploy(
    cmd: Extract<SlashCommand, { kind: 'deploy' }>,
    input: SlashInput,
    respond: Respond,
  ) {
    const { migrations, problems } = discoverMigrations(deploy.migrationsDir);
    if (problems.length)
      return respond(
        textMessage(
          `The migrations folder has files with bad names, so nothing runs until they are fixed:\n• ${problems.map(esc).join('\n• ')}`,
        ),
      );
    const migration = findMigration(migrations, cmd.migration);
    if (!migration) {
      const names = migrations.map((m) => `\`${m.id}\``).join(', ') || '(none: the folder is empty)';
      return respond(
        textMessage(
          `There is no migration ${esc(JSON.stringify(cmd.migration.slice(0, 80)))}. Available: ${names}.`,
        ),
      );
    }
    const envs = environmentsFor(
      deploy.environments.map((e) => e.name),
      cmd.to,
    );
    if (!envs.ok) return respond(textMessage(envs.refused));
    const created = await runs.createRun(db, {
      migration: migration.id,
      requestedBy: input.user,
      channel: input.channel,
      steps: planSteps(envs.envs),
    });
    if (!created.ok) {
      const h = created.holder;
      await runs.audit(db, {
        actor: input.user,
        action: 'run.refused',
        detail: { reason: 'busy', holder: h.runId },
      });
      return respond(
        textMessage(
          `${h.env} is busy: run #${h.runId} started by <@${h.requestedBy}> at ${h.since.slice(0, 19).replace('T', ' ')} UTC is deploying there. Wait for it to finish (\`/deploy-migration status #${h.runId}\`), then run again.`,
        ),
      );
    }
    const run = created.run;
    await runs.audit(db, {
      actor: input.user,
      action: 'run.created',
      runId: run.id,
      detail: { migration: run.migration, envs: envs.envs },
    });
    const ts = await chat.post(input.channel, runCard(run));
    await runs.rememberMessage(db, run.id, 'card', input.channel, ts);
    await drive(run.id, { type: 'begin', at: now() });
  }

  async function status(runId: number | undefined, respond: Respond) {
    if (runId === undefined) return respond(statusList(await runs.recentRuns(db, 10)));
    const run = await runs.loadRun(db, runId);
    if (!run)
      return respond(
        textMessage(`There is no run #${runId}. \`/deploy-migration status\` lists the latest runs.`),
      );
    return respond(runCard(run));
  }

  async function list(respond: Respond) {
    const { migrations, problems } = discoverMigrations(deploy.migrationsDir);
    const ledgers = await Promise.all(
      deploy.environments.map((env) =>
        withTargetClient(env, readLedger).then(
          (l) => ({ ok: true as const, l }),
          (e: Error) => ({ ok: false as const, problem: `${env.name} unreachable: ${e.message}` }),
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
        const env = deploy.environments[i]!.name;
        const last = migrations.at(-1);
        if (last)
          for (const d of planPending(migrations, l.l, last.id).drift) notes.push(describeDrift(d, env));
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
      case 'deploy':
        return startDeploy(cmd, input, respond);
    }
  }

  /** After a restart: runs that were in progress end as interrupted (their ledger rows say what applied). */
  async function reconcile(): Promise<number> {
    const ids = await runs.runningRunIds(db);
    for (const id of ids) await drive(id, { type: 'interrupted', at: now() });
    return ids.length;
  }

  return {
    handleSlash: (input: SlashInput, respond: Respond) =>
      background('slash command', async () => {
        try {
          await handleSlash(input, respond);
        } catch (e) {
          log.error({ err: e }, 'command failed');
          await respond(
            textMessage(
              `Something went wrong on our side: ${(e as Error).message}. The log has the details.`,
            ),
          ).catch(() => {});
        }
      }),
    reconcile,
    /** Resolves when every piece of background work has finished (tests, graceful shutdown). */
    idle: async () => {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
  };
}
