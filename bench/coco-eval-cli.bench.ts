// `flopmap coco-eval` end to end on a val2017-sized set (5,056 images, ~503k detections, a 63 MB results file
// made by bench/synthetic-coco.ts), through the compiled bin, and where its time goes: start-up, ground truth,
// reading the results (the windowed byte scanner beside a whole-file read + scan and beside JSON.parse +
// parseResults, the paths it replaces), index, match, accumulate, summarize. Medians of 3; each phase as a share
// of the in-process total. Goal: <= 2.0 s end to end.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../src/data-dir.ts';
import { evaluateBbox, loadGroundTruth, loadResultArrays, parseResults } from '../src/coco-eval/index.ts';
import { idLookup } from '../src/coco-eval/id-lookup.ts';
import { scanResults } from '../src/coco-eval/results-scan.ts';
import { writeSyntheticCoco } from './synthetic-coco.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
};

const dir = join(tmpdir(), 'flopmap-coco-eval-cli-bench');
const { gtPath, resultsPath, detections } = writeSyntheticCoco(dir, 5056);
console.log(`set: 5,056 images, ${detections} detections, ${(readFileSync(resultsPath).length / 2 ** 20).toFixed(0)} MiB of results`);

const bin = join(PROJECT_ROOT, 'bin', 'flopmap.js');
const wall = (args: string[]): number => {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`${args.join(' ')}: exit ${run.status}: ${run.stderr}`);
  return (performance.now() - t0) / 1000;
};
const runs = 3;
const nodeOnly = median(Array.from({ length: runs }, () => wall(['-e', ''])));
const help = median(Array.from({ length: runs }, () => wall([bin, '--help'])));
const endToEnd = median(Array.from({ length: runs }, () => wall([bin, 'coco-eval', '--annotations', gtPath, '--results', resultsPath, '--json'])));

const phases: Record<string, number[]> = {};
const add = (k: string, ms: number) => (phases[k] ??= []).push(ms);
for (let r = 0; r < runs; r++) {
  const [gt, gtMs] = timed(() => loadGroundTruth(gtPath));
  add('ground truth (JSON.parse + checks)', gtMs);
  const [dets, scanMs] = timed(() => loadResultArrays(resultsPath, gt));
  add('results: byte scanner -> typed arrays', scanMs);
  const result = evaluateBbox(gt, dets);
  add('index', result.timings.index);
  add('match (evaluate)', result.timings.evaluate);
  add('accumulate', result.timings.accumulate);
  add('summarize', result.timings.summarize);
}
// The paths the windowed scanner replaces, measured beside it (not part of the total): the whole 63 MB file read
// into fresh memory and then scanned, and JSON.parse + parseResults.
const gtOnce = loadGroundTruth(gtPath);
const wholeFile = median(
  Array.from({ length: runs }, () => timed(() => scanResults(readFileSync(resultsPath), idLookup(gtOnce.imageIds), idLookup(gtOnce.categories.map((c) => c.id))))[1]),
);
const [, oldMs] = timed(() => parseResults(JSON.parse(readFileSync(resultsPath, 'utf8')), gtOnce, resultsPath));

const med = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)]));
const inProcess = Object.values(med).reduce((a, b) => a + b, 0);
console.log(`end to end through the bin: ${endToEnd.toFixed(2)} s (goal 2.0 s: ${(endToEnd / 2).toFixed(2)}x of it)`);
console.log(`  start-up: node -e '' ${nodeOnly.toFixed(3)} s, flopmap --help ${help.toFixed(3)} s (${(help / nodeOnly).toFixed(2)}x node alone)`);
console.log(`  in process ${(inProcess / 1000).toFixed(2)} s, of which:`);
for (const [k, ms] of Object.entries(med)) console.log(`    ${k.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms  ${((ms / inProcess) * 100).toFixed(1).padStart(5)}%`);
const scanMs = med['results: byte scanner -> typed arrays'];
console.log(`  whole-file read + scan would take ${wholeFile.toFixed(0)} ms: the 1 MiB window is ${(wholeFile / scanMs).toFixed(2)}x faster`);
console.log(`  JSON.parse + parseResults (objects) would take ${oldMs.toFixed(0)} ms: the scanner is ${(oldMs / scanMs).toFixed(2)}x faster`);
