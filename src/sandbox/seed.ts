import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

const seedSchema = z.strictObject({
  channel: z.strictObject({ id: z.string().regex(/^C[A-Z0-9]+$/), name: z.string().min(1) }),
  users: z.array(z.strictObject({ id: z.string().regex(/^U[A-Z0-9]+$/), name: z.string().min(1) })).min(1),
  usergroups: z.record(z.string().regex(/^S[A-Z0-9]+$/), z.array(z.string())).default({}),
});

export type Seed = z.infer<typeof seedSchema>;

/** The sandbox's people, channel and user groups (sandbox/seed.yml). */
export function loadSeed(path: string): Seed {
  const parsed = seedSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not valid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
