import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { loadModel } from '../../src/onnx/model-io.ts';
import { mapSpatialTail, rewriteInputSize, withInputSize } from '../../src/onnx/input-size.ts';
import { createDetectorSession } from '../../src/detection/session.ts';
import { nanodet } from '../../src/detection/families/nanodet.ts';
import { yolox } from '../../src/detection/families/yolox.ts';
import type { Model } from '../../src/onnx/proto.ts';

describe('mapSpatialTail', () => {
  it('rewrites a trailing feature-map size of the export size, nothing else', () => {
    expect(mapSpatialTail([1, 2, 58, 40, 40], 320, 320, 416, 416)).toEqual([1, 2, 58, 52, 52]);
    expect(mapSpatialTail([1, -1, 10, 10], 320, 320, 256, 512)).toEqual([1, -1, 8, 16]);
    expect(mapSpatialTail([1, 80, -1], 320, 320, 416, 416)).toBeUndefined();
    expect(mapSpatialTail([-1, 8], 320, 320, 416, 416)).toBeUndefined();
    expect(mapSpatialTail([1, 256, 1, 1], 320, 320, 416, 416)).toBeUndefined();
  });

  it('refuses sizes that are not multiples of 32', () => {
    expect(() => rewriteInputSize({ graph: { node: [], initializer: [], input: [], output: [], valueInfo: [] } } as unknown as Model, 300, 320)).toThrow(/multiple of 32/);
  });
});

const square = (s: number) => ({ inputHeight: s, inputWidth: s, contentHeight: s, contentWidth: s });
const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001));

describe('withInputSize on the bundled static exports', () => {
  it('runs NanoDet-m 320 at 256 and 416 with outputs of the new grid sizes', async () => {
    const source = loadModel(dataPath('models', 'nanodet_m_320.onnx'));
    for (const size of [256, 416]) {
      const { model, rewritten } = rewriteInputSize(source, size, size);
      expect(rewritten).toHaveLength(6); // the channel-shuffle Reshape shapes of the three stages
      const session = await createDetectorSession(model, 'nanodet', 1);
      const out = await session.run(ramp(3 * size * size), [1, 3, size, size]);
      await session.release();
      expect(nanodet.checkOutputs(out, square(size))).toEqual([]);
    }
  });

  it('is lossless: 320 -> 416 -> 320 gives the original outputs', async () => {
    const source = loadModel(dataPath('models', 'nanodet_m_320.onnx'));
    const back = withInputSize(withInputSize(source, 416, 416), 320, 320);
    const input = ramp(3 * 320 * 320);
    const a = await createDetectorSession(source, 'a', 1);
    const b = await createDetectorSession(back, 'b', 1);
    const oa = await a.run(input, [1, 3, 320, 320]);
    const ob = await b.run(input, [1, 3, 320, 320]);
    await Promise.all([a.release(), b.release()]);
    for (const name of Object.keys(oa)) {
      expect(ob[name].dims).toEqual(oa[name].dims);
      let worst = 0;
      for (let i = 0; i < oa[name].data.length; i++) worst = Math.max(worst, Math.abs(oa[name].data[i] - ob[name].data[i]));
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('runs YOLOX-Nano 416 at 320 and 640 (no size constants inside: only the input changes)', async () => {
    const source = loadModel(dataPath('models', 'yolox_nano_416.onnx'));
    for (const size of [320, 640]) {
      const { model, rewritten } = rewriteInputSize(source, size, size);
      expect(rewritten).toEqual([]);
      const session = await createDetectorSession(model, 'yolox', 1);
      const out = await session.run(new Float32Array(3 * size * size).fill(114), [1, 3, size, size]);
      await session.release();
      expect(yolox.checkOutputs(out, square(size))).toEqual([]);
    }
  });
});
