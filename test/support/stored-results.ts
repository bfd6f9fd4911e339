/** Step results for a report fixture, as the store gives them: each parsed by the schema of its step's name. */
import { parseStepResult, type StepResults } from '../../src/deploy/step-results.js';
import type { Run } from '../../src/deploy/types.js';

export function stored(run: Run, entries: readonly (readonly [number, unknown])[]): StepResults {
  return new Map(
    entries.map(([i, value]) => {
      const step = run.steps[i];
      if (!step) throw new Error(`fixture: run #${run.id} has no step ${i}`);
      return [i, parseStepResult(`fixture step ${i}`, step, value)];
    }),
  );
}
