import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImage, resizeGeometry } from '../../src/detection/image.ts';
import { nanodet } from '../../src/detection/families/nanodet.ts';
import { retinanet } from '../../src/detection/families/retinanet.ts';
import { yolox } from '../../src/detection/families/yolox.ts';

let dir: string;
let image: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flopmap-preprocess-'));
  image = join(dir, 'halves.png');
  // 200x100: left half pure red, right half pure blue (PNG: no compression artefacts).
  const rgb = Buffer.alloc(200 * 100 * 3);
  for (let y = 0; y < 100; y++) for (let x = 0; x < 200; x++) rgb.set(x < 100 ? [255, 0, 0] : [0, 0, 255], (y * 200 + x) * 3);
  await sharp(rgb, { raw: { width: 200, height: 100, channels: 3 } }).png().toFile(image);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (t: Float32Array, w: number, h: number, c: number, y: number, x: number) => t[c * w * h + y * w + x];

describe('letterbox (YOLOX)', () => {
  it('scales by min(S/h, S/w), places the image top-left, pads with 114, BGR 0-255', async () => {
    const p = await prepareImage(image, yolox.resizeSpec(64), yolox.pixelFormat);
    expect(p.dims).toEqual([1, 3, 64, 64]);
    expect([p.contentWidth, p.contentHeight]).toEqual([64, 32]);
    expect(p.transform.scaleX).toBeCloseTo(0.32, 9);
    expect(p.transform.scaleY).toBeCloseTo(0.32, 9);
    // Red pixel at the top-left: B = 0, G = 0, R = 255 in BGR order.
    expect([0, 1, 2].map((c) => at(p.tensor, 64, 64, c, 5, 5))).toEqual([0, 0, 255]);
    // Blue at the right of the content.
    expect([0, 1, 2].map((c) => at(p.tensor, 64, 64, c, 5, 60))).toEqual([255, 0, 0]);
    // Bottom half is padding.
    for (const [y, x] of [[32, 0], [63, 63], [40, 20]]) expect([0, 1, 2].map((c) => at(p.tensor, 64, 64, c, y, x))).toEqual([114, 114, 114]);
  });
});

describe('keep-ratio with stride padding (torchvision RetinaNet)', () => {
  it('resizes the shorter side to S unless the longer side passes the cap, pads to 32 with 0 after normalisation', async () => {
    const geo = resizeGeometry(640, 480, retinanet.resizeSpec(800));
    expect([geo.contentWidth, geo.contentHeight, geo.inputWidth, geo.inputHeight]).toEqual([1066, 800, 1088, 800]);
    // A long panorama hits max_size 1333.
    const wide = resizeGeometry(1000, 200, retinanet.resizeSpec(800));
    expect([wide.contentWidth, wide.contentHeight, wide.inputWidth, wide.inputHeight]).toEqual([1333, 266, 1344, 288]);

    const p = await prepareImage(image, retinanet.resizeSpec(100), retinanet.pixelFormat);
    // 200x100 at S = 100: scale = min(100 / 100, 167 / 200) (the cap is round(100 * 1333 / 800) = 167); torchvision
    // computes 167 / 200 in float32 as float32(1 / 200) * 167, a little under 0.835: 200 * scale floors to 166.
    expect([p.contentWidth, p.contentHeight]).toEqual([166, 83]);
    expect(p.dims).toEqual([1, 3, 96, 192]);
    // RGB, ImageNet-normalised: red -> ((1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0 - 0.406) / 0.225).
    expect(at(p.tensor, 192, 96, 0, 10, 10)).toBeCloseTo((1 - 0.485) / 0.229, 4);
    expect(at(p.tensor, 192, 96, 1, 10, 10)).toBeCloseTo(-0.456 / 0.224, 4);
    expect(at(p.tensor, 192, 96, 2, 10, 10)).toBeCloseTo(-0.406 / 0.225, 4);
    // Padding (right of 166, below 83) is 0 in every channel.
    for (const c of [0, 1, 2]) {
      expect(at(p.tensor, 192, 96, c, 10, 180)).toBe(0);
      expect(at(p.tensor, 192, 96, c, 90, 10)).toBe(0);
    }
    expect(p.transform.scaleX).toBeCloseTo(166 / 200, 9);
    expect(p.transform.scaleY).toBeCloseTo(83 / 100, 9);
  });
});

describe('centred keep-ratio (NanoDet) and plain resize', () => {
  it('centres the image with a black border, BGR with NanoDet mean/std', async () => {
    const p = await prepareImage(image, nanodet.resizeSpec(32), nanodet.pixelFormat);
    expect(p.dims).toEqual([1, 3, 32, 32]);
    // 200x100 -> 32x16, rows 8..23.
    expect([p.contentWidth, p.contentHeight, p.transform.offsetX, p.transform.offsetY]).toEqual([32, 16, 0, 8]);
    expect(p.transform.scaleX).toBeCloseTo(0.16, 9);
    // Red at the left of the content: B = (0 - 103.53) / 57.375, R = (255 - 123.675) / 58.395.
    expect(at(p.tensor, 32, 32, 0, 16, 2)).toBeCloseTo(-103.53 / 57.375, 4);
    expect(at(p.tensor, 32, 32, 2, 16, 2)).toBeCloseTo((255 - 123.675) / 58.395, 4);
    // Border rows above and below are black pixels, normalised.
    for (const y of [0, 7, 24, 31]) expect(at(p.tensor, 32, 32, 1, y, 10)).toBeCloseTo(-116.28 / 57.12, 4);
  });

  it('stretch maps each axis on its own', async () => {
    const p = await prepareImage(image, { mode: 'stretch', height: 32, width: 32 }, nanodet.pixelFormat);
    expect(p.transform.scaleX).toBeCloseTo(32 / 200, 9);
    expect(p.transform.scaleY).toBeCloseTo(32 / 100, 9);
  });
});

describe('bad images', () => {
  it('names a missing file', async () => {
    await expect(prepareImage(join(dir, 'nope.jpg'), yolox.resizeSpec(64), yolox.pixelFormat)).rejects.toThrow(/nope\.jpg: image not found/);
  });
  it('names a corrupt file', async () => {
    const bad = join(dir, 'corrupt.jpg');
    writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
    await expect(prepareImage(bad, yolox.resizeSpec(64), yolox.pixelFormat)).rejects.toThrow(/corrupt\.jpg: cannot decode image/);
  });
});
