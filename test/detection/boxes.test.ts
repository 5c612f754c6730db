import { describe, expect, it } from 'vitest';
import { BoxListBuilder, toImageDetections } from '../../src/detection/boxes.ts';
import { batchedNms, topKIndices } from '../../src/detection/nms.ts';

describe('mapping boxes back to the image', () => {
  const list = () => {
    const b = new BoxListBuilder(1);
    b.push(10, 58, 110, 108, 0.9, 3); // inside the content
    b.push(-5, 40, 50, 60, 0.5, 7); // reaches into the border
    b.push(0, 0, 5, 5, 0.4, 99); // a label with no COCO id
    return b.build();
  };
  const transform = { scaleX: 0.5, scaleY: 0.5, offsetX: 0, offsetY: 48, imageWidth: 640, imageHeight: 426 };
  const categoryOf = (label: number) => (label < 80 ? label + 1 : undefined);

  it('undoes the offset and the scale, gives COCO [x, y, w, h], drops unmapped labels', () => {
    const dets = toImageDetections(list(), transform, categoryOf, true);
    expect(dets).toHaveLength(2);
    expect(dets[0]).toEqual({ bbox: [20, 20, 200, 100], score: 0.9, categoryId: 4 });
  });

  it('clips to the image when the family does, not otherwise', () => {
    expect(toImageDetections(list(), transform, categoryOf, true)[1].bbox).toEqual([0, 0, 100, 24]);
    expect(toImageDetections(list(), transform, categoryOf, false)[1].bbox).toEqual([-10, -16, 110, 40]);
  });
});

describe('NMS and top-k', () => {
  it('suppresses only above the IoU threshold (strictly) and within a label', () => {
    const b = new BoxListBuilder();
    b.push(0, 0, 10, 10, 0.9, 1);
    b.push(0, 0, 10, 15, 0.8, 1); // IoU 100/150 = 0.667
    b.push(0, 0, 10, 10, 0.7, 2); // other label
    const l = b.build();
    expect(batchedNms(l, 0.6, 100)).toEqual([0, 2]);
    expect(batchedNms(l, 2 / 3 + 1e-9, 100)).toEqual([0, 1, 2]);
    expect(batchedNms(l, 0.6, 1)).toEqual([0]);
  });

  it('top-k returns the k largest over the threshold, largest first, earlier index on ties', () => {
    const v = Float32Array.from([0.1, 0.9, 0.5, 0.9, 0.3, 0.7]);
    expect(Array.from(topKIndices(v, 3))).toEqual([1, 3, 5]);
    expect(Array.from(topKIndices(v, 10, 0, 6, 0.4))).toEqual([1, 3, 5, 2]);
    expect(Array.from(topKIndices(v, 2, 2, 5))).toEqual([3, 2]);
  });
});
