// The network inputs flopmap builds equal those made by each family's own code (OpenCV 4.6, torch 1.13,
// torchvision 0.14) on real COCO images: data/coco/fixtures/preprocess/index.json lists them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { compareInputs } from '../../src/detection/compare-inputs.ts';
import { readNpy } from '../../src/detection/npy.ts';
import { prepareReferenceInput } from '../../src/detection/reference-input.ts';
import { invert3, nanodetResizeMatrix } from '../../src/detection/cv-warp.ts';
import { toImageDetections } from '../../src/detection/boxes.ts';
import { getFamily, nanodet } from '../../src/detection/families/index.ts';

interface FixtureEntry {
  image: string;
  family: string;
  size: number;
  file: string;
  shape: number[];
}

const fixtureDir = dataPath('coco', 'fixtures', 'preprocess');
const entries = JSON.parse(readFileSync(join(fixtureDir, 'index.json'), 'utf8')) as FixtureEntry[];

/** The stored file: X.npy, gzipped as X.npy.gz in the repository. */
function fixturePath(file: string): string {
  return join(fixtureDir, `${file}.gz`);
}

describe('network inputs equal the references', () => {
  it('lists fixtures of every family', () => {
    expect(new Set(entries.map((e) => e.family))).toEqual(new Set(['nanodet', 'yolox', 'retinanet']));
  });

  for (const entry of entries) {
    it(`${entry.image} ${entry.family} at ${entry.size}`, async () => {
      const family = getFamily(entry.family);
      const reference = readNpy(fixturePath(entry.file));
      const input = await prepareReferenceInput(dataPath('coco206', 'val2017', entry.image), family.resizeSpec(entry.size), family.pixelFormat);
      expect(input.dims).toEqual(reference.shape);
      // NanoDet/YOLOX are compared in grey levels (undoing the division by std); RetinaNet in normalised units.
      const cmp = compareInputs(input.tensor, reference.data, entry.family === 'retinanet' ? undefined : family.pixelFormat.std);
      if (entry.family === 'retinanet') {
        expect(cmp.maxDifference).toBeLessThanOrEqual(1e-3);
      } else {
        // The bound: within 1 grey level on 99.9% of the values, never more than 2.
        expect(cmp.fractionOverOne).toBeLessThanOrEqual(0.001);
        expect(cmp.maxDifference).toBeLessThanOrEqual(2 + 1e-4);
        // Measured: OpenCV's fixed-point arithmetic is reproduced to the bit.
        expect(cmp.equal).toBe(cmp.values);
      }
    });
  }
});

describe('boxes map back through the same geometry', () => {
  it("NanoDet: a box in input coordinates goes back through the warp's inverse, fractional offset included", async () => {
    // 640x426 at 320: ratio 0.5, centred: offsetY = 160 - 0.5 * 426 / 2 = 53.5.
    const input = await prepareReferenceInput(dataPath('coco206', 'val2017', '000000000139.jpg'), nanodet.resizeSpec(320), nanodet.pixelFormat);
    expect([input.transform.scaleX, input.transform.offsetX, input.transform.offsetY]).toEqual([0.5, 0, 53.5]);
    const inverse = invert3(nanodetResizeMatrix(640, 426, 320, 320));
    const list = { boxes: Float32Array.from([10, 60, 200, 250]), scores: Float32Array.from([0.9]), labels: Int32Array.from([0]), count: 1 };
    const [det] = toImageDetections(list, input.transform, nanodet.categoryId, nanodet.clipToImage);
    const x1 = inverse[0] * 10 + inverse[1] * 60 + inverse[2];
    const y1 = inverse[3] * 10 + inverse[4] * 60 + inverse[5];
    const y2 = inverse[3] * 200 + inverse[4] * 250 + inverse[5];
    expect(det.bbox[0]).toBeCloseTo(x1, 2);
    expect(det.bbox[1]).toBeCloseTo(y1, 2); // (60 - 53.5) / 0.5 = 13
    expect(det.bbox[3]).toBeCloseTo(y2 - y1, 2);
  });
});
