// `flopmap preprocess`: writes the network input as a .npy and compares it with a reference one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath, PROJECT_ROOT } from '../../src/data-dir.ts';
import { readNpy } from '../../src/detection/npy.ts';

const dir = mkdtempSync(join(tmpdir(), 'flopmap-preprocess-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function flopmap(...args: string[]) {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), 'preprocess', ...args], { encoding: 'utf8' });
}

const image = dataPath('coco206', 'val2017', '000000062554.jpg');
const fixture = (file: string) => dataPath('coco', 'fixtures', 'preprocess', `${file}.gz`);

describe('flopmap preprocess', () => {
  it('writes [1,3,H,W] float32 and reports the comparison with the reference', () => {
    const out = join(dir, 'yolox.npy');
    const run = flopmap(image, '--family', 'yolox', '--size', '416', '-o', out, '--compare', fixture('000000062554_yolox_416.npy'), '--json');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.dims).toEqual([1, 3, 416, 416]);
    expect(summary.compare).toMatchObject({ unit: 'grey', maxDifference: 0, values: 3 * 416 * 416 });
    // 640x428 at r = 0.65: int(640 r) x int(428 r) = 416 x 278 at the top-left.
    expect(summary.content).toEqual([278, 416]);
    expect(readNpy(out).shape).toEqual([1, 3, 416, 416]);
  });

  it('gives the fractional NanoDet offset that maps boxes back', () => {
    const run = flopmap(image, '--family', 'nanodet', '--json');
    expect(run.status).toBe(0);
    const t = JSON.parse(run.stdout).transform;
    // ratio 320 / 640 = 0.5; the image is centred: 160 - 0.5 * 428 / 2 = 53.
    expect([t.scaleX, t.offsetX, t.offsetY]).toEqual([0.5, 0, 53]);
  });

  it('exits 2 with one line on a missing image or a reference of another shape', () => {
    const missing = flopmap(join(dir, 'nope.jpg'), '--family', 'nanodet');
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toMatch(/nope\.jpg: image not found$/);
    const other = flopmap(image, '--family', 'nanodet', '--compare', fixture('000000062554_yolox_416.npy'));
    expect(other.status).toBe(2);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/yolox_416\.npy\.gz: shape \[1,3,416,416\] differs/);
  });
});
