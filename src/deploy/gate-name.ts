/**
 * A gate named by what it decides and where: "deploy to production", "deploy to production, stage 2 of 3:
 * business", "rollback on staging", "restore from backup on production", "baseline on production", or an after:
 * action's label ("merge acme/app#42 after production"). The approval card, the run report and its summary say it
 * the same way. Pure.
 */
import { isBaseline } from './plan.js';
import { isRestoreGate } from './restores.js';
import type { Run } from './types.js';

export type GateKind = 'deploy' | 'baseline' | 'rollback' | 'restore' | 'after';

/** What the gate at `index` decides. */
export function gateKind(run: Pick<Run, 'steps'>, index: number): GateKind {
  const s = run.steps[index];
  if (s?.after) return 'after';
  if (isRestoreGate(run, index)) return 'restore';
  if (s?.purpose === 'rollback') return 'rollback';
  return isBaseline(run) ? 'baseline' : 'deploy';
}

/** " stage 2 of 3: business" for a stage's gate, "" for an environment's only gate. */
export function stageOf(run: Pick<Run, 'steps'>, index: number): string {
  const step = run.steps[index];
  if (step?.stage === undefined) return '';
  const stages = run.steps.filter(
    (s) => s.env === step.env && s.name === 'approval' && s.stage !== undefined,
  );
  return `stage ${stages.indexOf(step) + 1} of ${stages.length}: ${step.stage}`;
}

/** The gate at `index` in a few words, with its environment (plain text: escape it for Slack). */
export function gateName(run: Pick<Run, 'steps'>, index: number): string {
  const s = run.steps[index];
  if (!s) return 'a gate';
  switch (gateKind(run, index)) {
    case 'after':
      return `${s.after!.label} after ${s.env}`;
    case 'restore':
      return `restore from backup on ${s.env}`;
    case 'rollback':
      return `rollback on ${s.env}`;
    case 'baseline':
      return `baseline on ${s.env}`;
    case 'deploy': {
      const stage = stageOf(run, index);
      return `deploy to ${s.env}${stage ? `, ${stage}` : ''}`;
    }
  }
}
