import pg from 'pg';
import { startEmbeddedPostgres } from '../src/embedded.ts';
const s = await startEmbeddedPostgres({ dataDir: '/tmp/exp-pg/data', persistent: false, password: 'x' });
const url = await s.createDatabase('t');
const mon = new pg.Client({ connectionString: s.urlFor('postgres') }); await mon.connect();
const read = async () => (await mon.query("select pg_stat_clear_snapshot(); select xact_commit::int c, xact_rollback::int r from pg_stat_database where datname='t'")).at?.(-1)?.rows[0] ?? (await mon.query("select xact_commit::int c, xact_rollback::int r from pg_stat_database where datname='t'")).rows[0];
const r0 = await read(); console.log('start', r0);
async function sess(fn) { const c = new pg.Client({ connectionString: url }); await c.connect(); try { await fn(c); } finally { await c.end(); } }
await sess(async () => {}); console.log('after connect/disconnect', await read());
await sess(async (c) => { await c.query('select 1'); }); console.log('after select 1', await read());
await sess(async (c) => { await c.query('select 1'); await c.query('select 2', []); }); console.log('after 2 selects (1 param)', await read());
await sess(async (c) => { await c.query('begin read only'); await c.query('select 1'); await c.query('commit'); }); console.log('after begin/commit', await read());
await sess(async (c) => { await c.query('begin read only'); await c.query('select 1'); await c.query('rollback'); }); console.log('after begin/rollback', await read());
await sess(async (c) => { await c.query('select 1/0').catch(()=>{}); }); console.log('after error', await read());
await sess(async (c) => { await c.query('set statement_timeout=1000'); }); console.log('after set', await read());
// flush timing: without ending
const c = new pg.Client({ connectionString: url }); await c.connect();
for (let i=0;i<5;i++) await c.query('select 1');
console.log('5 selects in open session, immediately', await read());
await new Promise(r=>setTimeout(r,1500));
console.log('after 1.5s', await read());
await c.end();
await mon.end(); await s.stop();
