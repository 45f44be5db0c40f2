// The service against the bare floor, per operation: runs the perf kit (../shared/perf/compare.mjs,
// or --kit PATH) on this checkout with the Node that runs this script (use Node 24, the machine to
// itself), then prints for each operation the throughput ratio, p99 and CPU per op of both sides and
// their ratios, round trips to the database per flow (the kit's "statements": MariaDB's general log
// shows a round trip of several statements as one line), and where each stands against issue 23's targets (throughput
// >= 0.7 x the floor's, p99 <= 1.5 x). Extra arguments go to the kit:
//   npm run build && node bench/floor.mjs [--kit PATH] [--ops wechat,me,refresh,phone] [--rounds 3] [--seconds 15]
// Writes the kit's JSON lines to stderr as they come; exits 0 (it measures, it does not judge).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { median, ROOT } from './lib/stack.mjs';

const TARGET_RATIO = 0.7;
const TARGET_P99 = 1.5;

const args = process.argv.slice(2);
const kitAt = args.indexOf('--kit');
const kit = kitAt >= 0 ? resolve(args.splice(kitAt, 2)[1]) : resolve(ROOT, '..', 'shared', 'perf', 'compare.mjs');
if (!existsSync(kit)) {
  console.error(`bench/floor: the perf kit is not at ${kit}; pass --kit PATH/compare.mjs`);
  process.exit(0);
}
if (!existsSync(join(ROOT, 'dist/src/main.js'))) {
  console.error('bench/floor: run npm run build first');
  process.exit(0);
}

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

const runs = [];
const statements = new Map();
const child = spawn(process.execPath, [kit, '--project', ROOT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
createInterface({ input: child.stdout }).on('line', (line) => {
  if (!line.startsWith('{')) return;
  process.stderr.write(`${line}\n`);
  try {
    const step = JSON.parse(line);
    if (step.step === 'run') runs.push(step);
    if (step.step === 'statements') statements.set(`${step.op}:${step.side}`, step.perOp);
  } catch {
    // not a step line
  }
});
process.on('SIGINT', () => child.kill('SIGINT'));
const code = await new Promise((r) => child.once('close', r));

const ops = [...new Set(runs.map((r) => r.op))];
const rows = ops.map((op) => {
  const side = (s) => runs.filter((r) => r.op === op && r.side === s);
  const service = side('service');
  const floor = side('floor');
  // Paired within each round, as the kit does.
  const ratios = service.map((s) => s.rps / floor.find((f) => f.round === s.round)?.rps);
  const p99 = { service: median(service.map((r) => r.p99)), floor: median(floor.map((r) => r.p99)) };
  const cpu = { service: median(service.map((r) => r.cpuMsPerOp)), floor: median(floor.map((r) => r.cpuMsPerOp)) };
  const ratio = median(ratios);
  const p99Ratio = p99.service / p99.floor;
  return {
    op,
    ratio,
    p99,
    p99Ratio,
    cpu,
    cpuRatio: cpu.service / cpu.floor,
    statements: `${statements.get(`${op}:floor`) ?? 'n/a'} / ${statements.get(`${op}:service`) ?? 'n/a'}`,
    meets: ratio >= TARGET_RATIO && p99Ratio <= TARGET_P99,
  };
});

console.log(`\nservice against the floor, Node ${process.version}, ${new Date().toISOString().slice(0, 10)} (kit exit ${code})`);
console.log('| op | ratio | p99 service / floor ms | p99 x floor | CPU ms/op service / floor | CPU x floor | round trips floor / service | targets (>= 0.7, p99 <= 1.5 x) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.op} | ${fmt(r.ratio)} | ${fmt(r.p99.service, 1)} / ${fmt(r.p99.floor, 1)} | ${fmt(r.p99Ratio)} | ` +
      `${fmt(r.cpu.service)} / ${fmt(r.cpu.floor)} | ${fmt(r.cpuRatio)} | ${r.statements} | ${r.meets ? 'met' : 'not met'} |`,
  );
}
