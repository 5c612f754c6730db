// A synthetic COCO set at any scale for the benchmarks: the 79 images' ground truth replicated, with seeded
// jittered, duplicated, confused and random boxes as detections (the same boxes on every run).
// Run directly it writes DIR/gt.json and DIR/results.json for the CLI: npx tsx bench/synthetic-coco.ts DIR [IMAGES=5056]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../src/data-dir.ts';
import { loadGroundTruth, parseGroundTruth } from '../src/coco-eval/index.ts';
import type { CocoGroundTruth, CocoGtAnnotation } from '../src/coco-eval/index.ts';
import { mulberry32 } from '../src/random.ts';

/** The ground truth of `base` repeated over `images` images (ids 1..images). */
export function replicate(base: CocoGroundTruth, images: number): CocoGroundTruth {
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

/** ~perImage detections per image: jittered, duplicated and confused gt boxes plus random ones, scores on a 1e-3 grid. */
export function jitteredResults(gt: CocoGroundTruth, perImage: number, seed: number): unknown[] {
  const rand = mulberry32(seed);
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

/** The ground truth (as a COCO instances object) and the results of a synthetic set of `images` images. */
export function syntheticCoco(images: number, perImage = 100): { gt: CocoGroundTruth; gtJson: object; results: unknown[] } {
  const base = loadGroundTruth(dataPath('coco', 'instances_val2017_mini.json'));
  const gt = replicate(base, images);
  const gtJson = {
    images: gt.imageIds.map((id) => ({ id })),
    categories: gt.categories,
    annotations: gt.annotations.map((a) => ({ ...a, iscrowd: a.iscrowd ? 1 : 0 })),
  };
  return { gt, gtJson, results: jitteredResults(gt, perImage, images) };
}

/** Writes DIR/gt.json and DIR/results.json (the results as the pipeline writes them: JSON.stringify). */
export function writeSyntheticCoco(dir: string, images: number): { gtPath: string; resultsPath: string; detections: number } {
  const { gtJson, results } = syntheticCoco(images);
  mkdirSync(dir, { recursive: true });
  const gtPath = join(dir, 'gt.json');
  const resultsPath = join(dir, 'results.json');
  writeFileSync(gtPath, JSON.stringify(gtJson));
  writeFileSync(resultsPath, JSON.stringify(results));
  return { gtPath, resultsPath, detections: results.length };
}

if (process.argv[1]?.endsWith('synthetic-coco.ts')) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: tsx bench/synthetic-coco.ts DIR [IMAGES]');
  const images = Number(process.argv[3] ?? 5056);
  const { detections } = writeSyntheticCoco(dir, images);
  console.log(`${dir}: ${images} images, ${detections} detections`);
}
