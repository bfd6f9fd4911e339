/** A run's plan: its environments and steps, the steps a rollback adds, and how an ended run is described. Pure. */
import { type AfterRule, afterSteps } from './after-rules.js';
import type { Run, Step, StepName } from './types.js';

/**
 * The steps of a run that deploys to `envs` in order; environments with approval rules get a gate. A `baseline`
 * run marks files applied without running them: preflight, the gate, then the baseline step (no verify, no
 * monitor, since nothing runs).
 */
export function planSteps(
  envs: readonly {
    name: string;
    gated: boolean;
    /** Its approval stages in order (deploy.yml `approvals: { stages }`): a gate each instead of one. */
    stages?: readonly string[];
    monitored?: boolean;
    backup?: boolean;
    /** Its after: actions: those that run on success follow its last step (docs/after.md). */
    after?: readonly AfterRule[];
  }[],
  kind: 'deploy' | 'baseline' = 'deploy',
  /**
   * deploy.yml `services:` this run deploys, in order: each service gets its own preflight, backup, apply, verify
   * and monitor step (its monitors watch together); the gates and after: actions stay the environment's.
   */
  services?: readonly string[],
): Step[] {
  return envs.flatMap((env) => {
    const gate = env.gated && !env.stages?.length ? (['approval'] as const) : [];
    const names: StepName[] =
      kind === 'baseline'
        ? ['preflight', ...gate, 'baseline']
        : [
            'preflight',
            ...gate,
            // `backup: affected-tables`: the copies are taken after the gate, right before apply.
            ...(env.backup ? (['backup'] as const) : []),
            'apply',
            'verify',
            ...(env.monitored ? (['monitor'] as const) : []),
          ];
    const steps: Step[] = names.flatMap((name) =>
      services?.length && name !== 'approval'
        ? services.map((service) => ({ env: env.name, service, name, status: 'pending' as const }))
        : [{ env: env.name, name, status: 'pending' as const }],
    );
    // Stages: one gate per stage, in order, where the single gate would be (right after preflight).
    if (env.gated && env.stages?.length)
      steps.splice(
        services?.length || 1,
        0,
        ...env.stages.map((stage) => ({
          env: env.name,
          name: 'approval' as const,
          status: 'pending' as const,
          stage,
        })),
      );
    return kind === 'deploy' ? [...steps, ...afterSteps(env.name, env.after ?? [], 'succeeded')] : steps;
  });
}

/** Whether a run marks files applied without running them (its steps say so: it has a baseline step). */
export const isBaseline = (run: Pick<Run, 'steps'>): boolean => run.steps.some((s) => s.name === 'baseline');

/** The environments a run goes to: all of them in promotion order, or up to and including `to`. */
export function environmentsFor(
  all: readonly string[],
  to: string | undefined,
): { ok: true; envs: string[] } | { ok: false; refused: string } {
  if (all.length === 0) return { ok: false, refused: 'deploy.yml lists no environments.' };
  if (to === undefined) return { ok: true, envs: [...all] };
  const i = all.indexOf(to);
  if (i === -1)
    return {
      ok: false,
      refused: `There is no environment "${to}". Environments in deploy.yml: ${all.join(', ')}.`,
    };
  return { ok: true, envs: all.slice(0, i + 1) };
}

/**
 * The steps a rollback of `env` adds: its gate when it needs one, then the rollback itself; with services, one
 * rollback step per service it undoes, in the order given (newest first).
 */
export function rollbackSteps(env: string, gated: boolean, services?: readonly string[]): Step[] {
  return [
    ...(gated
      ? [{ env, name: 'approval' as const, status: 'pending' as const, purpose: 'rollback' as const }]
      : []),
    ...(services?.length
      ? services.map((service) => ({
          env,
          service,
          name: 'rollback' as const,
          status: 'pending' as const,
          purpose: 'rollback' as const,
        }))
      : [{ env, name: 'rollback' as const, status: 'pending' as const, purpose: 'rollback' as const }]),
  ];
}

/** The services a rollback plan undoes (its files named `service/id`), newest first; none for one database. */
export function servicesUndone(undo: readonly string[]): string[] {
  return [...new Set(undo.filter((id) => id.includes('/')).map((id) => id.slice(0, id.indexOf('/'))))];
}

export function describeEnd(run: Run): string {
  const by = run.endedBy ? ` by <@${run.endedBy}>` : '';
  const when = run.finishedAt ? ` at ${run.finishedAt.slice(0, 16).replace('T', ' ')} UTC` : '';
  switch (run.status) {
    case 'succeeded':
      return `Run #${run.id} has already finished.`;
    case 'rolled_back':
      return `Run #${run.id} was rolled back${when}.`;
    case 'failed':
      return `Run #${run.id} has already failed.`;
    case 'cancelled':
      return `This run was cancelled${by}${when}.`;
    case 'rejected':
      return `This run was rejected${by}${when}.`;
    case 'expired':
      return `This run expired${when}: nobody approved it in time.`;
    case 'running':
      return `Run #${run.id} is still running.`;
  }
}
