// The shared COCO fixture: the numbers pycocotools reports for a jittered results file, and the coco206 sample.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { evaluateBbox, loadGroundTruth, loadResults } from '../../src/coco-eval/index.ts';
import type { CocoDetection } from '../../src/coco-eval/index.ts';

interface Expected {
  stats: Record<string, number>;
  per_category_AP: Record<string, number>;
}

describe('COCO fixture against pycocotools', () => {
  it('reproduces expected_jitter_seed1.json: the 12 numbers and every per-category AP to 1e-4', () => {
    const gt = loadGroundTruth(dataPath('coco', 'instances_val2017_mini.json'));
    const dets = loadResults(dataPath('coco', 'fixtures', 'results_jitter_seed1.json'), gt);
    const expected = JSON.parse(readFileSync(dataPath('coco', 'fixtures', 'expected_jitter_seed1.json'), 'utf8')) as Expected;
    const r = evaluateBbox(gt, dets);
    expect(Object.keys(r.stats).sort()).toEqual(Object.keys(expected.stats).sort());
    for (const [key, value] of Object.entries(expected.stats)) {
      expect(Math.abs(r.stats[key as keyof typeof r.stats] - value), key).toBeLessThan(1e-4);
    }
    expect(Object.keys(r.perCategoryAP).sort()).toEqual(Object.keys(expected.per_category_AP).sort());
    for (const [id, value] of Object.entries(expected.per_category_AP)) {
      expect(Math.abs(r.perCategoryAP[Number(id)] - value), `category ${id}`).toBeLessThan(1e-4);
    }
  });

  it('scores the coco206 ground truth itself as perfect detections: AP 1, and order-independent', () => {
    // Every non-crowd annotation as a detection of score 1: each is an exact match (IoU 1), so precision is
    // 1 - eps at every recall point of every category with gt; crowd regions are ignored anyway.
    const gtPath = dataPath('coco206', 'instances_val2017_206.json');
    const gt = loadGroundTruth(gtPath);
    const perfect: CocoDetection[] = gt.annotations
      .filter((a) => !a.iscrowd)
      .map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 1 }));
    const r = evaluateBbox(gt, perfect);
    expect(r.stats.AP).toBeCloseTo(1, 12);
    expect(r.stats.AP50).toBeCloseTo(1, 12);
    expect(r.stats.AR100).toBeCloseTo(1, 12);
    expect(r.stats.AR1).toBeLessThan(1); // images with several objects of a category
    // With distinct scores, the order of the results file cannot matter.
    const scored = perfect.map((d, i) => ({ ...d, bbox: [d.bbox[0] + (i % 7), d.bbox[1], d.bbox[2], d.bbox[3]] as typeof d.bbox, score: 1 - i / 1e5 }));
    const reversed = evaluateBbox(gt, [...scored].reverse());
    expect(reversed.stats).toEqual(evaluateBbox(gt, scored).stats);
  });
});
