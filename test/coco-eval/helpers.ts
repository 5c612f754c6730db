// Small hand-made ground truths for the protocol tests.
import { parseGroundTruth } from '../../src/coco-eval/index.ts';
import type { BBox, CocoDetection, CocoGroundTruth } from '../../src/coco-eval/index.ts';

export interface GtBox {
  image?: number;
  category?: number;
  bbox: BBox;
  /** Defaults to the box area w * h. */
  area?: number;
  crowd?: boolean;
  id?: number;
}

/** A ground truth with the given boxes (ids 1, 2, ... in order unless given), images and categories. */
export function makeGt(boxes: GtBox[], images: number[] = [1], categories: number[] = [1]): CocoGroundTruth {
  return parseGroundTruth(
    {
      images: images.map((id) => ({ id })),
      categories: categories.map((id) => ({ id, name: `c${id}` })),
      annotations: boxes.map((b, i) => ({
        id: b.id ?? i + 1,
        image_id: b.image ?? 1,
        category_id: b.category ?? 1,
        bbox: b.bbox,
        area: b.area ?? b.bbox[2] * b.bbox[3],
        iscrowd: b.crowd ? 1 : 0,
      })),
    },
    'hand-made-gt.json',
  );
}

export function det(bbox: BBox, score: number, image = 1, category = 1): CocoDetection {
  return { image_id: image, category_id: category, bbox, score };
}
