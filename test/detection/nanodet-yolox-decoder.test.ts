import { describe, expect, it } from 'vitest';
import { nanodet } from '../../src/detection/families/nanodet.ts';
import { yolox } from '../../src/detection/families/yolox.ts';
import { COCO80_CATEGORY_IDS } from '../../src/detection/coco-classes.ts';

const square = (s: number) => ({ inputHeight: s, inputWidth: s, contentHeight: s, contentWidth: s });

function nanodetOutputs(size: number) {
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const s of [8, 16, 32]) {
    const n = (size / s) ** 2;
    out[`cls_pred_stride_${s}`] = { data: new Float32Array(n * 80), dims: [1, n, 80] };
    out[`dis_pred_stride_${s}`] = { data: new Float32Array(n * 4), dims: [1, n, 4] };
  }
  return out;
}

describe('NanoDet decoder on synthetic outputs', () => {
  it('measures l,t,r,b distances in strides from the cell centre', () => {
    const out = nanodetOutputs(320);
    // stride 16 grid is 20x20; cell (row 3, col 7): centre (7.5 * 16, 3.5 * 16) = (120, 56).
    const p = 3 * 20 + 7;
    out.cls_pred_stride_16.data[p * 80 + 2] = 0.9; // class 2 = car
    out.dis_pred_stride_16.data.set([1, 2, 3, 0.5], 4 * p);
    const list = nanodet.decode(out, square(320), nanodet.defaults);
    expect(list.count).toBe(1);
    expect(Array.from(list.boxes.subarray(0, 4))).toEqual([120 - 16, 56 - 32, 120 + 48, 56 + 8]);
    expect(list.labels[0]).toBe(2);
    expect(nanodet.categoryId(list.labels[0])).toBe(3);
    expect(list.scores[0]).toBeCloseTo(0.9, 6);
  });

  it('keeps every class over the threshold of one box (multiclass NMS), drops those under it', () => {
    const out = nanodetOutputs(320);
    const p = 5;
    out.cls_pred_stride_8.data[p * 80 + 0] = 0.6;
    out.cls_pred_stride_8.data[p * 80 + 1] = 0.3;
    out.cls_pred_stride_8.data[p * 80 + 4] = 0.05; // not above 0.05
    out.dis_pred_stride_8.data.set([1, 1, 1, 1], 4 * p);
    const list = nanodet.decode(out, square(320), nanodet.defaults);
    expect(Array.from(list.labels)).toEqual([0, 1]);
  });

  it('reports outputs of the wrong shape or name', () => {
    const out = nanodetOutputs(320);
    expect(nanodet.checkOutputs(out, square(320))).toEqual([]);
    expect(nanodet.checkOutputs(out, square(416))[0]).toBe('output cls_pred_stride_8 has shape [1,1600,80], expected [1,2704,80]');
    expect(nanodet.checkOutputs({}, square(320))).toEqual([
      'has no output named cls_pred_stride_8, dis_pred_stride_8, cls_pred_stride_16, dis_pred_stride_16, cls_pred_stride_32, dis_pred_stride_32',
    ]);
  });
});

describe('YOLOX decoder on synthetic outputs', () => {
  function yoloxOutput(size: number) {
    const n = [8, 16, 32].reduce((k, s) => k + (size / s) ** 2, 0);
    return { output: { data: new Float32Array(n * 85), dims: [1, n, 85] } };
  }

  it('decodes grid offsets and log sizes per stride, score = objectness x best class', () => {
    const out = yoloxOutput(416);
    // stride 16 grid starts after the 52x52 stride-8 cells; cell (row 2, col 4) of the 26x26 grid.
    const p = 52 * 52 + 2 * 26 + 4;
    out.output.data.set([0.5, 0.25, Math.log(2), 0], p * 85);
    out.output.data[p * 85 + 4] = 0.8;
    out.output.data[p * 85 + 5 + 16] = 0.5; // class 16 = bird
    out.output.data[p * 85 + 5 + 3] = 0.4;
    const list = yolox.decode(out, square(416), yolox.defaults);
    expect(list.count).toBe(1);
    // centre ((0.5 + 4) * 16, (0.25 + 2) * 16) = (72, 36); size (32, 16).
    expect(Array.from(list.boxes.subarray(0, 4))).toEqual([56, 28, 88, 44]);
    expect(list.labels[0]).toBe(16);
    expect(yolox.categoryId(16)).toBe(COCO80_CATEGORY_IDS[16]);
    expect(yolox.categoryId(16)).toBe(18);
    expect(list.scores[0]).toBeCloseTo(0.4, 6);
  });

  it('drops candidates under the score threshold and suppresses same-class overlaps at 0.65', () => {
    const out = yoloxOutput(416);
    const set = (p: number, obj: number, cls: number, score: number) => {
      out.output.data.set([0, 0, Math.log(4), Math.log(4)], p * 85);
      out.output.data[p * 85 + 4] = obj;
      out.output.data[p * 85 + 5 + cls] = score;
    };
    set(100, 0.9, 0, 0.9); // box 32x32 at cell 100 (row 1, col 48)
    set(101, 0.8, 0, 0.9); // shifted 8 px: IoU 24/40 = 0.6 <= 0.65, kept
    set(102, 0.7, 0, 0.9); // shifted 16 px from 100; IoU with 101 = 0.6, kept
    set(200, 0.1, 1, 0.05); // 0.005 < 0.01
    expect(yolox.decode(out, square(416), yolox.defaults).count).toBe(3);
    expect(yolox.decode(out, square(416), { ...yolox.defaults, nmsThreshold: 0.5 }).count).toBe(2);
  });

  it('reports an output that does not fit', () => {
    const out = yoloxOutput(416);
    expect(yolox.checkOutputs(out, square(416))).toEqual([]);
    expect(yolox.checkOutputs(out, square(320))).toEqual(['output output has shape [1,3549,85], expected [1,2100,85]']);
  });
});
