import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { decodeImage } from '../../src/detection/decode.ts';
import { DecodedImageCache } from '../../src/detection/decoded-cache.ts';
import { getFamily } from '../../src/detection/families/index.ts';
import { prepareImage } from '../../src/detection/image.ts';
import { workerPreparer } from '../../src/detection/preparer.ts';

const dir = dataPath('coco', 'val2017');
const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 4).map((f) => `${dir}/${f}`);
const cv2 = { order: 'rgb', exifRotate: true } as const;
const pil = { order: 'rgb', exifRotate: false } as const;

describe('decoded-image cache', () => {
  it('gives the same pixels as a fresh decode, per EXIF handling, and decodes each image once', async () => {
    const cache = new DecodedImageCache(64 * 2 ** 20);
    for (const f of files) {
      const fresh = await decodeImage(f, cv2);
      const first = await cache.get(f, cv2);
      const again = await cache.get(f, cv2);
      expect(again === first).toBe(true);
      expect(Buffer.compare(Buffer.from(first.data), Buffer.from(fresh.data))).toBe(0);
      expect([first.width, first.height]).toEqual([fresh.width, fresh.height]);
      // PIL's reading (no EXIF rotation) is its own entry.
      const asPil = await cache.get(f, pil);
      expect(asPil === first).toBe(false);
    }
    expect(cache.stats()).toMatchObject({ decoded: 2 * files.length, reused: files.length });
  });

  it('stays within its byte bound, dropping the least recently used image first', async () => {
    const sizes = await Promise.all(files.map(async (f) => (await decodeImage(f, cv2)).data.byteLength));
    // Room for the two largest images, not for three.
    const sorted = [...sizes].sort((a, b) => b - a);
    const cache = new DecodedImageCache(sorted[0]! + sorted[1]!);
    for (const f of files) {
      await cache.get(f, cv2);
      expect(cache.stats().bytes).toBeLessThanOrEqual(cache.maxBytes);
    }
    const before = cache.stats().decoded;
    await cache.get(files[files.length - 1]!, cv2); // the most recent is kept
    expect(cache.stats().decoded).toBe(before);
    await cache.get(files[0]!, cv2); // the oldest was dropped
    expect(cache.stats().decoded).toBe(before + 1);
    const none = new DecodedImageCache(0);
    await none.get(files[0]!, cv2);
    await none.get(files[0]!, cv2);
    expect(none.stats()).toMatchObject({ decoded: 2, reused: 0, bytes: 0 });
  });

  it('the image worker with a cache prepares every size exactly as a fresh prepareImage, decoding once', async () => {
    const family = getFamily('yolox');
    const preparer = workerPreparer({ cacheBytes: 64 * 2 ** 20 });
    try {
      await preparer.ready;
      for (const size of [416, 320]) {
        for (const f of files) {
          const got = await preparer.prepare(f, family.resizeSpec(size), family.pixelFormat);
          const fresh = await prepareImage(f, family.resizeSpec(size), family.pixelFormat);
          expect(got.dims).toEqual(fresh.dims);
          expect(Buffer.compare(Buffer.from(got.tensor.buffer), Buffer.from(fresh.tensor.buffer))).toBe(0);
          expect(got.transform).toEqual(fresh.transform);
        }
      }
      expect(preparer.stats()).toMatchObject({ decoded: files.length, reused: files.length });
    } finally {
      await preparer.close();
    }
  });
});
