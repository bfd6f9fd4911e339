/** How a catalog check's query is built: numbered parameters, one row of ok and actual. Pure. */
import type { CheckPlan } from './check-schema.js';

/** "public.users" or "users" → [schema, name]. */
export const split = (name: string): [string, string] => {
  const [a, b] = name.split('.');
  return b === undefined ? ['public', a!] : [a!, b];
};

/** Conditions with numbered parameters, for the catalog queries below. */
class Where {
  readonly params: unknown[] = [];
  readonly parts: string[] = [];
  add(sqlWithQ: string, ...values: unknown[]): this {
    let out = sqlWithQ;
    for (const v of values) {
      this.params.push(v);
      out = out.replace('?', `$${this.params.length}`);
    }
    this.parts.push(out);
    return this;
  }
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  get cond(): string {
    return this.parts.length ? this.parts.join(' and ') : 'true';
  }
}

/** A catalog query returning one row: ok (boolean) and actual (what exists, as text). */
export function catalog(target: string, build: (w: Where) => string): CheckPlan {
  const w = new Where();
  const sql = build(w);
  return { kind: 'catalog', sql, params: w.params, target };
}

/** An expression with parentheses, spaces and casts taken out, to compare a default or a predicate. */
export const norm = (expr: string) => `lower(regexp_replace(${expr}, '[()\\s]|::[a-z ]+', '', 'g'))`;
