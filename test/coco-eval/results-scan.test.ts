import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { loadGroundTruth, loadResultArrays, loadResults, toDetectionArrays, type DetectionArrays } from '../../src/coco-eval/index.ts';
import { idLookup } from '../../src/coco-eval/id-lookup.ts';
import { scanResults } from '../../src/coco-eval/results-scan.ts';
import type { CocoGroundTruth } from '../../src/coco-eval/index.ts';

const gtPath = dataPath('coco', 'instances_val2017_mini.json');
const resultsPath = dataPath('coco', 'fixtures', 'results_jitter_seed1.json');

function scan(text: string | Buffer, gt: CocoGroundTruth): DetectionArrays | null {
  return scanResults(Buffer.isBuffer(text) ? text : Buffer.from(text), idLookup(gt.imageIds), idLookup(gt.categories.map((c) => c.id)));
}

/** Every slot, -0 told from 0 (Object.is). */
function same(a: DetectionArrays, b: DetectionArrays): void {
  expect(a.count).toBe(b.count);
  for (const k of ['imageId', 'categoryId', 'bbox', 'score'] as const) {
    const n = k === 'bbox' ? a.count * 4 : a.count;
    expect(Array.from(a[k].subarray(0, n))).toEqual(Array.from(b[k].subarray(0, n)));
  }
}

describe('results scanner', () => {
  const gt = loadGroundTruth(gtPath);

  it('reads the fixture results file to the same doubles as JSON.parse + parseResults', () => {
    const scanned = scan(readFileSync(resultsPath), gt);
    expect(scanned).not.toBeNull();
    same(scanned!, toDetectionArrays(loadResults(resultsPath, gt)));
  });

  it('converts 16- and 17-digit mantissas, exponents, -0 and whitespace exactly as Number() does', () => {
    const [img] = gt.imageIds;
    const cat = gt.categories[0].id;
    const values = ['23.856089378965553', '0.30000000000000004', '9007199254740993', '1e2', '12.5E-3', '-0', '0', '1234567890.123456789012345'];
    const text = ` [ { "score" : ${values[0]} ,"bbox":[ ${values.slice(1, 5).join(' , ')} ],\n"category_id":${cat},"image_id":${img}},` +
      `{"image_id":${img},"category_id":${cat},"bbox":[${values[5]},${values[6]},${values[7]},0],"score":-0}]\t`;
    const scanned = scan(text, gt)!;
    expect(scanned).not.toBeNull();
    expect(scanned.score[0]).toBe(Number(values[0]));
    expect(Array.from(scanned.bbox.subarray(0, 8))).toEqual([...values.slice(1, 5), ...values.slice(5, 8), '0'].map(Number));
    expect(Object.is(scanned.bbox[4], -0)).toBe(true);
    expect(Object.is(scanned.score[1], -0)).toBe(true);
  });

  it('leaves anything unusual or invalid to JSON.parse + parseResults (null)', () => {
    const [img] = gt.imageIds;
    const cat = gt.categories[0].id;
    const ok = (over = '') => `[{"image_id":${img},"category_id":${cat},"bbox":[1,2,3,4],"score":0.5${over}}]`;
    expect(scan(ok(), gt)).not.toBeNull();
    expect(scan('[]', gt)?.count).toBe(0);
    for (const bad of [
      ok(',"id":3'), // another key
      ok(',"score":0.6'), // a repeated key
      ok().replace('0.5', '"0.5"'), // a string
      ok().replace('0.5', '.5'), // not JSON
      ok().replace('0.5', '05'), // not JSON
      ok().replace('[1,2,3,4]', '[1,2,-3,4]'), // negative width
      ok().replace('[1,2,3,4]', '[1,2,3]'), // three numbers
      ok().replace('0.5', '1e999'), // not finite
      ok().replace(`"image_id":${img}`, '"image_id":-1'), // not an image of the ground truth
      ok().replace('"score"', '"sc\\u006fre"'), // an escape
      `${ok()}x`, // trailing bytes
      `\ufeff${ok()}`, // a byte-order mark (JSON.parse refuses it too)
    ]) {
      expect(scan(bad, gt), bad).toBeNull();
    }
  });

  it('loadResultArrays falls back to the same errors as loadResults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-scan-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, `[{"image_id":${gt.imageIds[0]},"category_id":${gt.categories[0].id},"bbox":[1,2,-3,4],"score":0.5}]`);
    expect(() => loadResultArrays(file, gt)).toThrow(/entry 0: bbox has a negative width or height/);
    writeFileSync(file, `[{"image_id":${gt.imageIds[0]},"category_id":${gt.categories[0].id},"bbox":[1,2,3,4],"score":0.5,"id":1}]`);
    same(loadResultArrays(file, gt), toDetectionArrays(loadResults(file, gt)));
    expect(() => loadResultArrays(join(dir, 'missing.json'), gt)).toThrow(/no such results file/);
  });

  it('reads a file of several windows (1 MiB each) to the same doubles, and an entry longer than a window through the fallback', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-scan-'));
    const file = join(dir, 'big.json');
    const entries = (JSON.parse(readFileSync(resultsPath, 'utf8')) as unknown[]).map((e) => JSON.stringify(e));
    const many: string[] = [];
    while (many.join(',').length < 3.5 * 2 ** 20) many.push(...entries);
    writeFileSync(file, `[${many.join(',\n')}]  \n`);
    same(loadResultArrays(file, gt), toDetectionArrays(loadResults(file, gt)));
    // an entry longer than the window: the scanner gives up (null), JSON.parse reads it
    writeFileSync(file, `[${many.slice(0, 9000).join(',')},${entries[0].replace(':', `:${' '.repeat(1_100_000)}`)}]`);
    same(loadResultArrays(file, gt), toDetectionArrays(loadResults(file, gt)));
    expect(() => loadResultArrays(dir, gt)).toThrow(/cannot read the results file \(EISDIR\)/);
  });
});
