import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { dataPath } from '../../src/data-dir.ts';
import { getFamily } from '../../src/detection/families/index.ts';
import { prepareImage } from '../../src/detection/image.ts';
import { createDetectorSession } from '../../src/detection/session.ts';
import { encodeModel, loadModel } from '../../src/onnx/model-io.ts';
import { initializerInputs, withoutInitializerInputs } from '../../src/onnx/initializer-inputs.ts';
import { profileModel } from '../../src/profiler/index.ts';

describe('initializers removed from the graph inputs (NanoDet-m lists its 188 weights as inputs)', () => {
  const model = loadModel(dataPath('models', 'nanodet_m_320.onnx'));
  const slim = withoutInitializerInputs(model);

  it('drops exactly the initializer inputs and leaves the given model as it was', () => {
    expect(initializerInputs(model)).toHaveLength(188);
    expect(initializerInputs(slim)).toHaveLength(0);
    expect(slim.graph.input.map((i) => i.name)).toEqual(['input.1']);
    expect(model.graph.input).toHaveLength(189);
    expect(slim.graph.initializer).toBe(model.graph.initializer);
    expect(withoutInitializerInputs(slim)).toBe(slim);
  });

  it('counts the same MACs, FLOPs and parameters', () => {
    const shapes = { inputShapes: { 'input.1': [1, 3, 320, 320] } };
    const a = profileModel(model, shapes).totals;
    const b = profileModel(slim, shapes).totals;
    expect(b).toEqual(a);
  });

  it('gives the same outputs within 1e-5 on a real COCO image', async () => {
    const family = getFamily('nanodet');
    const input = await prepareImage(dataPath('coco', 'val2017', '000000000139.jpg'), family.resizeSpec(320), family.pixelFormat);
    // The original graph as exported (weights as inputs), run by onnxruntime directly.
    const original = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
    const session = await createDetectorSession(model, 'nanodet', 1);
    try {
      const expected = await original.run({ 'input.1': new ort.Tensor('float32', input.tensor, input.dims) });
      const got = await session.run(input.tensor, input.dims);
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, t] of Object.entries(expected)) {
        const a = t.data as Float32Array;
        const b = got[name]!.data;
        expect(b.length).toBe(a.length);
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        expect(worst).toBeLessThan(1e-5);
      }
    } finally {
      await original.release();
      await session.release();
    }
  });
});
