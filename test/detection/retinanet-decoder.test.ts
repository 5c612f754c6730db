import { describe, expect, it } from 'vitest';
import { anchorLevels, anchorSizes, baseAnchors, levelAnchors } from '../../src/detection/families/retinanet-anchors.ts';
import { retinanet, RETINANET_CLASS_SLOTS } from '../../src/detection/families/retinanet.ts';

describe('torchvision RetinaNet anchors', () => {
  it('uses truncated 2^(k/3) sizes per level', () => {
    expect(anchorSizes(32)).toEqual([32, 40, 50]);
    expect(anchorSizes(64)).toEqual([64, 80, 101]);
    expect(anchorSizes(512)).toEqual([512, 645, 812]);
  });

  it('orders base anchors ratio-major and rounds them like torch (half to even)', () => {
    const a = baseAnchors([32, 40, 50]);
    expect(a).toHaveLength(9);
    expect(a[0]).toEqual([-23, -11, 23, 11]); // ratio 0.5 (h/w), size 32
    expect(a[1]).toEqual([-28, -14, 28, 14]); // ratio 0.5, size 40
    expect(a[3]).toEqual([-16, -16, 16, 16]); // ratio 1, size 32
    expect(a[5]).toEqual([-25, -25, 25, 25]);
    expect(a[6]).toEqual([-11, -23, 11, 23]); // ratio 2, size 32
    // 101 / 2 = 50.5 rounds to the even 50, not 51.
    expect(baseAnchors([64, 80, 101])[5]).toEqual([-50, -50, 50, 50]);
  });

  it('gives P3..P7 grids and integer strides as torchvision computes them for 800x1216', () => {
    const levels = anchorLevels(800, 1216);
    expect(levels.map((l) => [l.height, l.width])).toEqual([[100, 152], [50, 76], [25, 38], [13, 19], [7, 10]]);
    // image_size // grid_size: 800 // 13 = 61 at P6, not 64.
    expect(levels.map((l) => [l.strideY, l.strideX])).toEqual([[8, 8], [16, 16], [32, 32], [61, 64], [114, 121]]);
    expect(levels.reduce((n, l) => n + l.count, 0)).toBe(9 * (15200 + 3800 + 950 + 247 + 70));
  });

  it('lays anchors out position-major (row, column), then the 9 base anchors', () => {
    const [p3] = anchorLevels(64, 96);
    const anchors = levelAnchors(p3, 0);
    // position (row 1, column 2) = index 1 * 12 + 2, base anchor 4 (ratio 1, size 40): shift (16, 8).
    const k = (1 * 12 + 2) * 9 + 4;
    expect(Array.from(anchors.subarray(4 * k, 4 * k + 4))).toEqual([16 - 20, 8 - 20, 16 + 20, 8 + 20]);
  });
});

/** Synthetic head outputs: every logit very negative, every delta 0, except the anchors set by the test. */
function headOutputs(height: number, width: number) {
  const levels = anchorLevels(height, width);
  const total = levels.reduce((n, l) => n + l.count, 0);
  const logits = new Float32Array(total * RETINANET_CLASS_SLOTS).fill(-12);
  const deltas = new Float32Array(total * 4);
  const anchorIndex = (level: number, row: number, col: number, base: number) =>
    levels[level].start + (row * levels[level].width + col) * 9 + base;
  return {
    levels,
    logits,
    deltas,
    anchorIndex,
    outputs: {
      cls_logits: { data: logits, dims: [1, total, RETINANET_CLASS_SLOTS] },
      bbox_regression: { data: deltas, dims: [1, total, 4] },
    },
  };
}

const geometry = { inputHeight: 512, inputWidth: 768, contentHeight: 512, contentWidth: 700 };

describe('RetinaNet decoder on synthetic head outputs', () => {
  it('decodes known deltas on chosen anchors into known boxes, labels and scores', () => {
    const h = headOutputs(512, 768);
    // P3, row 10, column 20, base anchor 4 (ratio 1, size 40): anchor [140, 60, 180, 100].
    const a = h.anchorIndex(0, 10, 20, 4);
    h.logits[a * 91 + 18] = 2; // dog, sigmoid(2) = 0.8808
    h.deltas.set([0.5, -0.25, Math.log(2), 0], 4 * a);
    // P5, row 3, column 5, base anchor 3 (ratio 1, size 128): anchor [160-64, 96-64, 160+64, 96+64].
    const b = h.anchorIndex(2, 3, 5, 3);
    h.logits[b * 91 + 1] = 0; // person, 0.5
    // Below the 0.05 threshold: dropped.
    h.logits[h.anchorIndex(1, 2, 2, 0) * 91 + 3] = -3.5;
    const list = retinanet.decode(h.outputs, geometry, retinanet.defaults);
    expect(list.count).toBe(2);
    expect(Array.from(list.labels)).toEqual([18, 1]);
    expect(list.scores[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    // centre (160 + 0.5 * 40, 80 - 0.25 * 40) = (180, 70), size (80, 40).
    expect(Array.from(list.boxes.subarray(0, 4))).toEqual([140, 50, 220, 90]);
    expect(Array.from(list.boxes.subarray(4, 8))).toEqual([96, 32, 224, 160]);
  });

  it('clips boxes to the resized image (not the padding) and the size exponent to log(1000/16)', () => {
    const h = headOutputs(512, 768);
    const a = h.anchorIndex(0, 10, 86, 4); // anchor [668, 60, 708, 100], past the content edge at 700
    h.logits[a * 91 + 5] = 3;
    const clipped = retinanet.decode(h.outputs, geometry, retinanet.defaults);
    expect(Array.from(clipped.boxes.subarray(0, 4))).toEqual([668, 60, 700, 100]);
    h.deltas.set([0, 0, 10, 0], 4 * a); // exp(10) would be 22026x; the clip makes it 1000/16
    const wide = retinanet.decode(h.outputs, { ...geometry, contentWidth: 1e6 }, retinanet.defaults);
    expect(wide.boxes[0]).toBe(0);
    expect(wide.boxes[2]).toBeCloseTo(688 + (1000 / 16) * 20, 2);
  });

  it('suppresses overlapping boxes of one class only, keeps at most maxDetections', () => {
    const h = headOutputs(512, 768);
    const a = h.anchorIndex(0, 10, 20, 4);
    const shifted = h.anchorIndex(0, 10, 21, 4); // 8 px right: IoU 32/48 = 0.67 > 0.5
    h.logits[a * 91 + 18] = 2;
    h.logits[shifted * 91 + 18] = 1;
    h.logits[shifted * 91 + 17] = 1.5; // same box, other class: kept
    const list = retinanet.decode(h.outputs, geometry, retinanet.defaults);
    expect(Array.from(list.labels)).toEqual([18, 17]);
    const capped = retinanet.decode(h.outputs, geometry, { ...retinanet.defaults, maxDetections: 1 });
    expect(capped.count).toBe(1);
  });

  it('keeps the per-level top 1000 candidates before NMS', () => {
    const h = headOutputs(512, 768);
    // 1200 candidates on distinct P3 positions (no overlap between classes: one class each, alternating).
    for (let k = 0; k < 1200; k++) {
      const row = Math.floor(k / 96);
      const col = k % 96;
      h.logits[h.anchorIndex(0, row, col, 0) * 91 + 1 + (k % 90)] = 1 + k / 10000;
    }
    const list = retinanet.decode(h.outputs, geometry, { ...retinanet.defaults, maxDetections: 5000, nmsThreshold: 1 });
    expect(list.count).toBe(1000);
    // The 1000 best are the last 1000 written.
    expect(Math.min(...list.scores)).toBeCloseTo(1 / (1 + Math.exp(-(1 + 200 / 10000))), 5);
  });

  it('reports outputs that do not fit the anchors of the input', () => {
    const h = headOutputs(512, 768);
    expect(retinanet.checkOutputs(h.outputs, geometry)).toEqual([]);
    const problems = retinanet.checkOutputs(h.outputs, { ...geometry, inputWidth: 800 });
    expect(problems[0]).toMatch(/cls_logits has shape \[1,\d+,91\], expected/);
  });
});
