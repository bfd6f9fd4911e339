/**
 * No store transaction spans a call to a target: while a monitoring tick is sampling a target that does not
 * answer, a click on that run (Cancel, which takes the run's row) goes through at once instead of waiting for the
 * target. The staging target sits behind a TCP proxy the test can freeze: it accepts connections and forwards
 * nothing until it is thawed.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock, current, type Harness, startHarness } from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const MIN = 60_000;

const MONITORING = `monitoring:
  plans:
    five: [{ every: 1m, for: 5m }]
  metrics:
    - { metric: deadlocks, critical: "> 0" }
    - { name: queue_depth, sql: "select count(*) from queue_items", critical: "> 5" }
`;

interface Proxy {
  readonly port: number;
  /** Connections accepted while frozen and not forwarded yet. */
  held(): number;
  freeze(): void;
  /** Forward again, starting with the connections held (what they sent is passed on). */
  thaw(): void;
  close(): Promise<void>;
}

async function startProxy(upstream: URL): Promise<Proxy> {
  let frozen = false;
  const waiting: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const keep = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    keep(client);
    const forward = () => {
      const up = net.connect(Number(upstream.port), upstream.hostname);
      keep(up);
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
      client.pipe(up);
      up.pipe(client);
    };
    if (!frozen) return forward();
    client.pause(); // what the client sends waits in the socket
    client.on('error', () => {});
    waiting.push(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    held: () => waiting.length,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const f of waiting.splice(0)) f();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('no lock is held across a call to a target', () => {
  let h: Harness;
  let proxy: Proxy;
  let real: string;
  beforeAll(async () => {
    real = await createTestDatabase('mg_staging');
    proxy = await startProxy(new URL(real));
    const url = new URL(real);
    url.port = String(proxy.port);
    h = await startHarness({
      topYaml: MONITORING,
      migrations: { '001_queue.sql': 'create table queue_items (id int);\n' },
      envYaml: { staging: '    monitor: five\n' },
      targetUrls: { staging: url.toString() },
    });
  });
  afterAll(async () => {
    clock.offsetMs = 0;
    proxy?.thaw();
    await h?.stop();
    await proxy?.close();
  });

  it('a Cancel click on a run is done while the tick is still sampling its unreachable target', async () => {
    await h.slash('001');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/👀 monitor 0\/5 checkpoints/);

    // The target stops answering; a checkpoint falls due and the tick starts sampling it (not awaited).
    proxy.freeze();
    clock.offsetMs = MIN + 5000;
    const order: string[] = [];
    const tick = h.bot.service.tick(clock.now()).finally(() => order.push('tick'));
    await until('the tick to reach the frozen target', () => proxy.held() > 0 || order.includes('tick'));
    expect(order).toEqual([]);

    const click = await h.click(CARD, 'run.cancel', 'U0REQUESTER');
    expect(click.status).toBe(200);
    const cancelled = async () =>
      (
        await query<{ status: string }>(
          h.stateUrl,
          'select status from migration_gate_state.runs where id = 1',
        )
      )[0]?.status === 'cancelled' && current(h.slack, CARD).includes('Cancelled by <@U0REQUESTER>');
    await until('the click to take effect', cancelled);
    order.push('click');

    // The click was answered while the target still held the tick; thawed, the sample ends and the tick with it.
    proxy.thaw();
    await tick;
    await h.settle();
    expect(order).toEqual(['click', 'tick']);
    expect(await cancelled()).toBe(true);
    // The reading the tick took is stored, and nothing of it acts on the cancelled run (nor is it claimed still).
    expect(
      await query(
        h.stateUrl,
        'select seq, status from migration_gate_state.checkpoints where run_id = 1 and status <> $1 order by seq',
        ['pending'],
      ),
    ).toEqual([{ seq: 1, status: 'done' }]);
    expect(current(h.slack, CARD)).toContain('Cancelled by <@U0REQUESTER>');
    expect(
      h.slack.callsTo('chat.postMessage').filter((c) => /^(Critical|Warning) on/.test(String(c.args.text))),
    ).toEqual([]);
  }, 60_000);
});
