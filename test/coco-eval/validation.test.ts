// Bad input is an InputError naming the source, the entry and the problem.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { loadGroundTruth, loadResults, parseGroundTruth, parseResults } from '../../src/coco-eval/index.ts';
import { makeGt } from './helpers.ts';

const gt = makeGt([{ bbox: [0, 0, 10, 10] }], [1, 2], [1, 3]);
const good = { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.5 };

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('results validation', () => {
  it('accepts valid entries, zero-size boxes and an empty list', () => {
    expect(parseResults([good, { ...good, bbox: [1, 1, 0, 0] }], gt, 'r.json')).toHaveLength(2);
    expect(parseResults([], gt, 'r.json')).toEqual([]);
  });

  const cases: [string, unknown, RegExp][] = [
    ['an image id absent from the ground truth', { ...good, image_id: 7 }, /image_id 7 is not an image of the ground truth/],
    ['a category id absent from the ground truth', { ...good, category_id: 2 }, /category_id 2 is not a category/],
    ['a bbox of 3 numbers', { ...good, bbox: [0, 0, 10] }, /bbox must be \[x, y, width, height\]/],
    ['a bbox holding a string', { ...good, bbox: [0, '0', 10, 10] }, /4 finite numbers/],
    ['a bbox with a negative width', { ...good, bbox: [0, 0, -1, 10] }, /negative width or height/],
    ['a non-finite score', { ...good, score: Number.NaN }, /score must be a finite number/],
    ['a missing score', { image_id: 1, category_id: 1, bbox: [0, 0, 1, 1] }, /score must be a finite number/],
    ['a non-object entry', 42, /must be an object/],
  ];
  for (const [what, entry, problem] of cases) {
    it(`refuses ${what}, naming the file and the entry`, () => {
      const err = errorOf(() => parseResults([good, good, entry], gt, 'res.json'));
      expect(err.message).toMatch(/^res\.json: entry 2: /);
      expect(err.message).toMatch(problem);
    });
  }

  it('refuses results that are not a list', () => {
    expect(errorOf(() => parseResults({ annotations: [] }, gt, 'res.json')).message).toMatch(/^res\.json: results must be a JSON array/);
  });

  it('names the file of malformed or missing JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coco-eval-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, '[{"image_id": 1,');
    expect(errorOf(() => loadResults(file, gt)).message).toMatch(new RegExp(`^${file}: malformed JSON`));
    expect(errorOf(() => loadGroundTruth(join(dir, 'absent.json'))).message).toMatch(/absent\.json: no such annotations file/);
  });
});

describe('ground-truth validation', () => {
  const base = { images: [{ id: 1 }], categories: [{ id: 1, name: 'a' }] };
  const ann = { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 5, 5], area: 25, iscrowd: 0 };

  it('names the annotation and the problem', () => {
    const bad = (a: Record<string, unknown>) => errorOf(() => parseGroundTruth({ ...base, annotations: [ann, a] }, 'gt.json')).message;
    expect(bad({ ...ann, id: 2, bbox: [0, 0, 5] })).toMatch(/^gt\.json: annotations\[1\]: bbox must be/);
    expect(bad({ ...ann, id: 2, area: 'big' })).toMatch(/^gt\.json: annotations\[1\]: area must be a finite number/);
    expect(bad({ ...ann, id: 2, iscrowd: 2 })).toMatch(/annotations\[1\]: iscrowd must be 0 or 1/);
    expect(bad({ ...ann })).toMatch(/annotations\[1\]: duplicate annotation id 1/);
  });

  it('refuses a file without the three lists', () => {
    expect(errorOf(() => parseGroundTruth({ images: [] }, 'gt.json')).message).toMatch(/^gt\.json: ground truth has no "annotations" array/);
    expect(errorOf(() => parseGroundTruth([], 'gt.json')).message).toMatch(/^gt\.json: ground truth must be a JSON object/);
  });

  it('sorts image and category ids and keeps annotations in file order', () => {
    const parsed = parseGroundTruth(
      { images: [{ id: 9 }, { id: 3 }, { id: 9 }], categories: [{ id: 5 }, { id: 2 }], annotations: [{ ...ann, id: 4 }, { ...ann, id: 2 }] },
      'gt.json',
    );
    expect(parsed.imageIds).toEqual([3, 9]);
    expect(parsed.categories.map((c) => c.id)).toEqual([2, 5]);
    expect(parsed.annotations.map((a) => a.id)).toEqual([4, 2]);
  });
});
