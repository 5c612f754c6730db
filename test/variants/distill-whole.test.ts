// Whole-network distillation on the real detectors: the training graph (forward, loss, hand-written backward)
// of all of NanoDet-m and YOLOX-Nano runs in onnxruntime at batch 2 and gives every conv a gradient; distilling
// a pruned NanoDet-m (plain sliced weights, no refit) toward the original on real images lowers the held-out
// loss, and the trained weights land in the returned model.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { getFamily, type FamilyName } from '../../src/detection/families/index.ts';
import { prepareImage } from '../../src/detection/image.ts';
import { cloneModel, encodeModel, loadModel } from '../../src/onnx/model-io.ts';
import type { Model } from '../../src/onnx/proto.ts';
import { tensorToFloat32 } from '../../src/onnx/tensor.ts';
import { profileModel } from '../../src/profiler/index.ts';
import { distillWhole } from '../../src/variants/distill/index.ts';
import { familyLoss, positionWeights, teacherInput } from '../../src/variants/distill/losses.ts';
import { LOSS_OUTPUT, buildGraph, gradOutput } from '../../src/variants/distill/train-graph.ts';
import { extractWhole, wholeBoundary } from '../../src/variants/distill/whole-subgraph.ts';
import { applyPlan, type PrunePlan } from '../../src/variants/prune/apply.ts';
import { analyzeChannels } from '../../src/variants/prune/channel-groups.ts';

const IMAGES = ['000000000285.jpg', '000000000632.jpg'];

/** Every third channel group keeps three channels in four (sliced weights, no refit). */
function pruned(model: Model): Model {
  const a = analyzeChannels(model);
  const plan: PrunePlan = new Map(a.groups.filter((g) => g.id % 3 === 0).map((g) => [g.id, Array.from({ length: g.channels }, (_, c) => c).filter((c) => c % 4 !== 1)]));
  return applyPlan(model, a, plan).model;
}

async function images(family: FamilyName, size: number): Promise<Float32Array> {
  const spec = getFamily(family);
  const out = new Float32Array(IMAGES.length * 3 * size * size);
  for (const [k, f] of IMAGES.entries()) out.set((await prepareImage(dataPath('coco', 'calib', f), spec.resizeSpec(size), spec.pixelFormat)).tensor, k * 3 * size * size);
  return out;
}

describe('whole-network distillation', () => {
  it.each([
    ['nanodet', 'nanodet_m_320.onnx', 320, 73],
    ['yolox', 'yolox_nano_416.onnx', 416, 113],
  ] as const)('%s: the training graph of the whole network runs at batch 2; every conv gets a finite gradient, zero for the original itself', async (family, file, size, convs) => {
    const original = loadModel(dataPath('models', file));
    const { inputs, outputs } = wholeBoundary(original, profileModel(original));
    const n = IMAGES.length;
    const x = new ort.Tensor('float32', await images(family, size), [n, 3, size, size]);
    const teacherSession = await ort.InferenceSession.create(encodeModel(original), { intraOpNumThreads: 1, logSeverityLevel: 3 });
    const capture = extractWhole(original, outputs);
    const feeds = (sub: typeof capture) => Object.fromEntries(sub.params.map((p) => [p.name, new ort.Tensor('float32', p.values, p.dims)]));
    const forward = await ort.InferenceSession.create(encodeModel(buildGraph(capture, undefined, 'forward')), { intraOpNumThreads: 1, logSeverityLevel: 3 });
    const teacher = await forward.run({ [inputs[0]!]: x, ...feeds(capture) });
    await forward.release();
    await teacherSession.release();
    const loss = familyLoss(family, outputs.map((o) => ({ name: o, dims: teacher[o]!.dims })));
    const weights: Record<string, Float32Array[]> = {};
    for (let s = 0; s < n; s++) {
      const one = Object.fromEntries(outputs.map((o) => {
        const t = teacher[o]!;
        const per = (t.data as Float32Array).length / n;
        return [o, { data: (t.data as Float32Array).subarray(s * per, (s + 1) * per), dims: [1, ...t.dims.slice(1)] }];
      }));
      for (const [name, w] of Object.entries(positionWeights(loss, one))) (weights[name] ??= []).push(w);
    }
    const fixed: Record<string, ort.Tensor> = { [inputs[0]!]: x };
    for (const o of outputs) fixed[teacherInput(o)] = teacher[o]!;
    for (const w of loss.weights) {
      const dims = teacher[w.output]!.dims;
      const all = new Float32Array(n * dims[2]! * dims[3]!);
      weights[w.name]!.forEach((v, s) => all.set(v, s * v.length));
      fixed[w.name] = new ort.Tensor('float32', all, [n, 1, dims[2]!, dims[3]!]);
    }
    for (const [student, same] of [[original, true], [pruned(original), false]] as const) {
      const sub = extractWhole(student, outputs);
      expect(sub.params.length).toBe(2 * convs);
      const train = await ort.InferenceSession.create(encodeModel(buildGraph(sub, loss, 'train')), { intraOpNumThreads: 1, logSeverityLevel: 3 });
      const result = await train.run({ ...fixed, ...feeds(sub) });
      await train.release();
      const value = (result[LOSS_OUTPUT]!.data as Float32Array)[0]!;
      if (same) expect(Math.abs(value)).toBeLessThan(1e-3);
      else expect(value).toBeGreaterThan(0.05);
      let nonzero = 0;
      for (const p of sub.params) {
        const g = result[gradOutput(p.name)]!.data as Float32Array;
        expect(g.length).toBe(p.values.length);
        expect(g.every(Number.isFinite), p.name).toBe(true);
        if (g.some((v) => v !== 0)) nonzero++;
        if (same) expect(g.reduce((m, v) => Math.max(m, Math.abs(v)), 0), p.name).toBeLessThan(0.05);
      }
      if (!same) expect(nonzero).toBe(sub.params.length);
    }
  });

  it('distilling a pruned NanoDet-m on four images lowers the held-out loss and writes the weights into the model', async () => {
    const original = loadModel(dataPath('models', 'nanodet_m_320.onnx'));
    const student = pruned(original);
    const before = cloneModel(student);
    const { model, report } = await distillWhole(original, student, { dir: dataPath('coco'), family: 'nanodet', size: 320, images: 4, epochs: 2, batch: 3 });
    expect(report.samples).toBe(12);
    expect(report.heldOutSamples).toBe(3);
    expect(report.bestEpoch).toBeGreaterThan(0);
    expect(report.bestLoss).toBeLessThan(report.startLoss * 0.98);
    const conv = (m: Model) => {
      const node = m.graph.node.find((n) => n.opType === 'Conv')!;
      return tensorToFloat32(m.graph.initializer.find((t) => t.name === node.input![1])!);
    };
    expect(conv(model)).not.toEqual(conv(before));
    expect(profileModel(model).totals.macs).toBe(profileModel(before).totals.macs);
  });
});
