/** deploy.yml's `approvals:` (zod): N-of-M rules, as one list (one gate) or ordered stages (a gate each). */
import { z } from 'zod';
import type { ApprovalStage, Rule } from './deploy/approvals.js';

const ruleSchema = z
  .strictObject({
    role: z.string().min(1).max(40),
    users: z
      .array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'Slack user ids look like U01ABCDEF'))
      .min(1)
      .optional(),
    usergroup: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'Slack user group ids look like S01ABCDEF')
      .optional(),
    count: z.int().min(1).max(20).default(1),
  })
  .superRefine((r, ctx) => {
    if (!!r.users === !!r.usergroup)
      ctx.addIssue({ code: 'custom', message: `rule "${r.role}" needs exactly one of users or usergroup` });
    if (r.users && new Set(r.users).size < r.count)
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: `rule "${r.role}" needs ${r.count} approvals but lists ${new Set(r.users).size} user(s): it could never pass`,
      });
  });

/** An ordered approval stage: its own card, opened once the stage before it passed (docs/configuration.md). */
const stageSchema = z.strictObject({
  name: z.string().min(1).max(40),
  rules: z.array(ruleSchema).min(1),
});
/** A list of rules (one gate), or ordered stages of rules, each its own gate. */
export const approvalsSchema = z.union(
  [
    z.array(ruleSchema),
    z
      .strictObject({ stages: z.array(stageSchema).min(1) })
      .refine((a) => new Set(a.stages.map((s) => s.name)).size === a.stages.length, {
        message: 'give each stage its own name',
        path: ['stages'],
      }),
  ],
  {
    error: 'write a list of rules, or stages: a list of { name, rules } (docs/configuration.md, Approvals)',
  },
);

/** deploy.yml's approvals: a list of rules, or stages (the first stage's rules gate rollbacks and after: actions). */
export function approvalsOf(a: readonly Rule[] | { stages: readonly ApprovalStage[] } | undefined): {
  approvals: readonly Rule[];
  stages?: readonly ApprovalStage[];
} {
  if (!a) return { approvals: [] };
  if (Array.isArray(a)) return { approvals: a };
  const { stages } = a as { stages: readonly ApprovalStage[] };
  return { approvals: stages[0]!.rules, stages };
}
