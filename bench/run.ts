/** npm run bench: every benchmark, each printing our figure beside a baseline measured in the same run. */
import { benchAck } from './ack.bench.js';
import { benchApply } from './apply.bench.js';
import { benchBackup } from './backup.bench.js';
import { benchChecks } from './checks.bench.js';
import { benchMonitor } from './monitor.bench.js';
import { benchScale } from './scale.bench.js';
import { benchSlashApply } from './slash-apply.bench.js';
import { benchSnapshot } from './snapshot.bench.js';
import { benchPostgres } from './support.js';
import { benchTraffic } from './traffic.bench.js';

const only = process.argv[2];
const benches = {
  ack: benchAck,
  apply: benchApply,
  snapshot: benchSnapshot,
  checks: benchChecks,
  monitor: benchMonitor,
  scale: benchScale,
  'slash-apply': benchSlashApply,
  traffic: benchTraffic,
  backup: benchBackup,
};
const pgs = await benchPostgres();
try {
  for (const [name, bench] of Object.entries(benches)) {
    if (only && only !== name) continue;
    console.log(`\n## ${name}\n${await bench(pgs)}`);
  }
} finally {
  await pgs.stop();
}
