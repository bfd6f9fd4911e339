/**
 * Stored JSON (step results, checkpoint readings, alerts) is parsed with zod on its way out of the store: a value
 * that does not have the shape its type says is an error naming where it was, never a cast. Pure.
 */
import type { z } from 'zod';

/** T with every readonly modifier removed, arrays included: interfaces say readonly, zod's output does not. */
type Plain<T> = T extends readonly (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Plain<T[K]> }
    : T;

/** True when A and B are the same type (readonly aside): a missing optional field or a wider union is not. */
type Same<A, B> =
  (<X>() => X extends Plain<A> ? 1 : 2) extends <X>() => X extends Plain<B> ? 1 : 2 ? true : false;

/**
 * A schema for the interface T: `schemaOf<T>()(z.object({…}))` does not compile unless the schema's output is
 * exactly T (every field, optional or not, every union), so the interface and its schema cannot drift apart.
 * What a parse returns is T itself.
 */
export function schemaOf<T>() {
  return <S extends z.ZodType>(
    schema: S &
      (Same<z.output<S>, T> extends true ? unknown : { schemaDiffersFrom: T; schemaGives: z.output<S> }),
  ): z.ZodType<T> => schema as z.ZodType<T>;
}

/** A stored value that does not have its shape: where it was and what zod found. */
export class StoredShapeError extends Error {
  override readonly name = 'StoredShapeError';
}

/** "files.0.statements: Invalid input: expected number, received string; …" */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/** Parse `value` with `schema`, or throw a StoredShapeError that says `where` and what does not parse. */
export function parseStored<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new StoredShapeError(`${where} does not parse: ${describeIssues(r.error)}`);
}
