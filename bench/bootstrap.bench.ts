// Bootstrap confidence intervals (1,000 replicates over images) against one COCO evaluation of the same
// detections, side by side: on NanoDet-m's detections on coco206 (the default study's data) and on the 5,056-image
// synthetic set. Each replicate only re-accumulates the per-image matches, so the target is a few evaluations'
// worth of time, not 1,000. Best of two runs each (the machine is shared).
import { performance } from 'node:perf_hooks';
import { dataPath } from '../src/data-dir.ts';
import { bootstrapBbox } from '../src/coco-eval/bootstrap.ts';
import { evaluateBbox, loadGroundTruth, parseResults } from '../src/coco-eval/index.ts';
import type { CocoDetection, CocoGroundTruth } from '../src/coco-eval/index.ts';
import { detectOnly, resolveCocoDir } from '../src/detection/index.ts';
import { jitteredResults, replicate } from './synthetic-coco.ts';

const REPLICATES = 1000;

/** Best of two runs: wall seconds and this process's CPU seconds (less coloured by other load on the machine). */
function best(fn: () => void): { wall: number; cpu: number } {
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    fn();
    const used = process.cpuUsage(c);
    runs.push({ wall: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 });
  }
  return runs.sort((a, b) => a.wall - b.wall)[0]!;
}

function compare(label: string, gt: CocoGroundTruth, dets: CocoDetection[]): void {
  let ap = 0;
  const one = best(() => (ap = evaluateBbox(gt, dets).stats.AP));
  let ci: [number, number] | null = null;
  const boot = best(() => (ci = bootstrapBbox(gt, dets, { replicates: REPLICATES, seed: 1 }).intervals.AP));
  const [lo, hi] = ci ?? [NaN, NaN];
  console.log(
    `${label}: ${gt.imageIds.length} images, ${dets.length} detections: one evaluation ${one.wall.toFixed(3)} s (CPU ${one.cpu.toFixed(3)} s); ` +
      `bootstrap ${REPLICATES} replicates ${boot.wall.toFixed(3)} s (CPU ${boot.cpu.toFixed(3)} s) = ${(boot.wall / one.wall).toFixed(2)}x one evaluation ` +
      `(CPU ${(boot.cpu / one.cpu).toFixed(2)}x); it scores the images on the way, so the replicates add ${(boot.wall - one.wall).toFixed(3)} s (CPU ${(boot.cpu - one.cpu).toFixed(3)} s), ${(((boot.wall - one.wall) / REPLICATES) * 1e3).toFixed(2)} ms per replicate; AP ${(ap * 100).toFixed(2)} [${(lo * 100).toFixed(2)}, ${(hi * 100).toFixed(2)}]`,
  );
}

{
  const coco = resolveCocoDir(dataPath('coco206'));
  const gt = loadGroundTruth(coco.annotationsPath);
  const run = await detectOnly({ modelPath: dataPath('models', 'nanodet_m_320.onnx'), family: 'nanodet', ...coco, threads: 1 });
  compare('coco206, NanoDet-m 320', gt, run.detections);

  const synthetic = replicate(loadGroundTruth(dataPath('coco', 'instances_val2017_mini.json')), 5056);
  compare('synthetic', synthetic, parseResults(jitteredResults(synthetic, 100, 5056), synthetic, 'synthetic results'));
}
