/** A node-cron tick that asks the service to act on due gates. Holds no state: everything is in Postgres. */
import cron from 'node-cron';
import type { Logger } from './log.js';

export function startScheduler(
  tick: (now: Date) => Promise<number>,
  log: Logger,
  expression = '*/15 * * * * *',
) {
  let running = false;
  const task = cron.schedule(expression, async () => {
    if (running) return; // a slow tick is not run twice at once in one process
    running = true;
    try {
      const n = await tick(new Date());
      if (n) log.info({ acted: n }, 'scheduler tick');
    } catch (e) {
      log.error({ err: e }, 'scheduler tick failed');
    } finally {
      running = false;
    }
  });
  return { stop: () => task.stop() };
}
