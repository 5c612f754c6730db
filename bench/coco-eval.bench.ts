// COCO bbox evaluation at val2017 scale and beyond: the 79 images' ground truth replicated to 5,000 images, with
// ~100 jittered, duplicated, confused and random boxes per image (scores on a 1e-3 grid, so ties happen).
// Prints the time of each phase (best of two runs per size) (validate, index, evaluate, accumulate, summarize), peak memory, and side by side
// the cost per image at 1,000 and 5,000 images (how the evaluation scales). Goal: 5,000 images under 3 s.
import { performance } from 'node:perf_hooks';
import { dataPath } from '../src/data-dir.ts';
import { evaluateBbox, loadGroundTruth, parseGroundTruth, parseResults } from '../src/coco-eval/index.ts';
import type { CocoDetection, CocoGroundTruth, CocoGtAnnotation } from '../src/coco-eval/index.ts';

/** mulberry32: a small deterministic PRNG, so every run evaluates the same boxes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function replicate(base: CocoGroundTruth, images: number): CocoGroundTruth {
  const byImage = new Map<number, CocoGtAnnotation[]>();
  for (const a of base.annotations) byImage.set(a.image_id, [...(byImage.get(a.image_id) ?? []), a]);
  const annotations: object[] = [];
  for (let i = 0; i < images; i++) {
    for (const a of byImage.get(base.imageIds[i % base.imageIds.length]) ?? []) {
      annotations.push({ ...a, id: annotations.length + 1, image_id: i + 1, iscrowd: a.iscrowd ? 1 : 0 });
    }
  }
  return parseGroundTruth(
    { images: Array.from({ length: images }, (_, i) => ({ id: i + 1 })), categories: base.categories, annotations },
    `${base.source} x${images}`,
  );
}

function jitteredResults(gt: CocoGroundTruth, perImage: number, seed: number): unknown[] {
  const rand = prng(seed);
  const catIds = gt.categories.map((c) => c.id);
  const byImage = new Map<number, CocoGtAnnotation[]>();
  for (const a of gt.annotations) byImage.set(a.image_id, [...(byImage.get(a.image_id) ?? []), a]);
  const out: unknown[] = [];
  const score = () => Math.round(rand() * 1000) / 1000;
  for (const imageId of gt.imageIds) {
    const anns = byImage.get(imageId) ?? [];
    let n = 0;
    for (const a of anns) {
      if (a.iscrowd || rand() < 0.1) continue;
      const copies = 1 + (rand() < 0.3 ? 1 : 0);
      for (let c = 0; c < copies; c++, n++) {
        const [x, y, w, h] = a.bbox;
        const j = () => (rand() - 0.5) * 0.3;
        const category = rand() < 0.1 ? catIds[Math.floor(rand() * catIds.length)] : a.category_id;
        out.push({ image_id: imageId, category_id: category, bbox: [x + j() * w, y + j() * h, w * (1 + j()), h * (1 + j())], score: score() });
      }
    }
    const target = perImage + Math.floor((rand() - 0.5) * 20); // ~perImage, sometimes over 100
    for (; n < target; n++) {
      const w = 5 + rand() * 200;
      const h = 5 + rand() * 200;
      out.push({ image_id: imageId, category_id: catIds[Math.floor(rand() * catIds.length)], bbox: [rand() * 500, rand() * 400, w, h], score: score() });
    }
  }
  return out;
}

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
