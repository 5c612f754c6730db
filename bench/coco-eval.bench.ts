// COCO bbox evaluation at val2017 scale and beyond: the 79 images' ground truth replicated to 5,000 images, with
// ~100 jittered, duplicated, confused and random boxes per image (scores on a 1e-3 grid, so ties happen).
// Prints the time of each phase (best of two runs per size) (validate, index, evaluate, accumulate, summarize), peak memory, and side by side
// the cost per image at 1,000 and 5,000 images (how the evaluation scales). Goal: 5,000 images under 3 s.
import { performance } from 'node:perf_hooks';
import { dataPath } from '../src/data-dir.ts';
import { evaluateBbox, loadGroundTruth, parseResults } from '../src/coco-eval/index.ts';
import type { CocoDetection, CocoGroundTruth } from '../src/coco-eval/index.ts';
import { jitteredResults, replicate } from './synthetic-coco.ts';

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function run(base: CocoGroundTruth, images: number): { seconds: number; detections: number } {
  const gt = replicate(base, images);
  const raw = jitteredResults(gt, 100, images);
  const t0 = performance.now();
  const dets: CocoDetection[] = parseResults(raw, gt, 'synthetic results');
  const validateMs = performance.now() - t0;
  const r = evaluateBbox(gt, dets);
  const total = (performance.now() - t0) / 1000;
  const t = r.timings;
  console.log(
    `${images} images, ${gt.annotations.length} gt, ${dets.length} detections: total ${total.toFixed(2)} s = ` +
      `validate ${validateMs.toFixed(0)} ms + index ${t.index.toFixed(0)} ms + evaluate ${t.evaluate.toFixed(0)} ms + ` +
      `accumulate ${t.accumulate.toFixed(0)} ms + summarize ${t.summarize.toFixed(0)} ms (AP ${r.stats.AP.toFixed(3)})`,
  );
  return { seconds: total, detections: dets.length };
}

{
  const base = loadGroundTruth(dataPath('coco', 'instances_val2017_mini.json'));
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  run(base, 200); // warm-up (JIT)
  // Best of two runs per size: the machine is shared, the faster run is the less disturbed one.
  const best = (images: number) => [run(base, images), run(base, images)].sort((x, y) => x.seconds - y.seconds)[0];
  const small = best(1000);
  const large = best(5000);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  clearInterval(sampler);
  const mem = process.memoryUsage();
  const perImageSmall = (small.seconds / 1000) * 1e3;
  const perImageLarge = (large.seconds / 5000) * 1e3;
  console.log(`per image: ${perImageSmall.toFixed(3)} ms at 1,000 images vs ${perImageLarge.toFixed(3)} ms at 5,000 (ratio ${(perImageLarge / perImageSmall).toFixed(2)}x)`);
  console.log(`5,000 images: ${large.seconds.toFixed(2)} s against the 3 s goal (${(large.seconds / 3).toFixed(2)}x of it)`);
  console.log(`memory: peak RSS ${mib(peakRss)} (sampled every 20 ms), heap used ${mib(mem.heapUsed)} of ${mib(mem.heapTotal)} at the end`);
}
