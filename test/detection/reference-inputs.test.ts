// The network inputs flopmap builds equal those made by each family's own code (OpenCV 4.6, torch 1.13,
// torchvision 0.14) on real COCO images: data/coco/fixtures/preprocess/index.json lists them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { compareInputs } from '../../src/detection/compare-inputs.ts';
import { readNpy } from '../../src/detection/npy.ts';
import { prepareReferenceInput } from '../../src/detection/reference-input.ts';
import { getFamily } from '../../src/scaling/families/index.ts';

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
