// A synthetic COCO set at any scale for the benchmarks: the 79 images' ground truth replicated, with seeded
// jittered, duplicated, confused and random boxes as detections (the same boxes on every run).
import { parseGroundTruth } from '../src/coco-eval/index.ts';
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
