// Distillation on a tiny synthetic head: random features, a known teacher, a student that starts from the
// teacher's weights with 50% noise (as a fitted light head starts near the original).
// Training drives the held-out loss near zero, the same seed gives the same weights, and the trained weights
// written into the ONNX model make onnxruntime compute the trained function (a weight the head shares with
// another level is copied, so that level keeps computing what it did).
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/onnx/model-io.ts';
import { GraphEditor } from '../../src/onnx/graph-edit.ts';
import { cloneModel } from '../../src/onnx/model-io.ts';
import { extractHead, writeHeadParams, type HeadSubgraph } from '../../src/variants/distill/head-subgraph.ts';
import { positionWeights } from '../../src/variants/distill/losses.ts';
import { buildGraph } from '../../src/variants/distill/train-graph.ts';
import { trainHead, type DistillData } from '../../src/variants/distill/trainer.ts';
import { mulberry32 } from '../../src/random.ts';
import type { Model } from '../../src/onnx/proto.ts';
import { TINY, randomValues, tinyHead, tinyLoss } from './distill-tiny-head.ts';

const loss = tinyLoss();
const featDims = [TINY.channels, TINY.size, TINY.size];

async function runModel(model: Model, feat: Float32Array, n: number): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  const out = await s.run({ feat: new ort.Tensor('float32', feat, [n, ...featDims]) });
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

/** 48 samples from 16 "images": features random, teacher outputs from the teacher head. */
async function syntheticData(teacher: Model): Promise<DistillData> {
  const random = mulberry32(11);
  const count = 48;
  const size = featDims.reduce((a, b) => a * b, 1);
  const feats = randomValues(count * size, 1, random);
  const out = (await runModel(teacher, feats, count)).out!;
  const per = out.length / count;
  const outDims = [TINY.classes + 4 * TINY.bins + 4, TINY.size, TINY.size];
  const samples = Array.from({ length: count }, (_, i) => {
    const t = out.slice(i * per, (i + 1) * per);
    const w = positionWeights(loss, { out: { data: t, dims: [1, ...outDims] } }).w!;
    return { image: i % 16, features: [feats.slice(i * size, (i + 1) * size)], teacher: [t], weights: [w] };
  });
  return { featureDims: [featDims], teacherDims: [outDims], weightDims: [[TINY.size, TINY.size]], samples };
}

async function distilled(seed: number, data: DistillData): Promise<{ sub: HeadSubgraph; start: number; best: number }> {
  const sub = extractHead(tinyHead(1, 0.5, 2), ['feat'], ['out']);
  const report = await trainHead(sub, loss, data, { epochs: 60, seed, batch: 4, learningRate: 1e-2, patience: 60 });
  return { sub, start: report.startLoss, best: report.bestLoss };
}

describe('distill: training a tiny head against a known teacher', () => {
  it('drives the held-out loss below 5% of its start, reproducibly, and the trained weights round-trip into ONNX', async () => {
    const teacher = tinyHead(1);
    const data = await syntheticData(teacher);
    const a = await distilled(7, data);
    expect(a.start).toBeGreaterThan(0.5);
    expect(a.best).toBeLessThan(0.05 * a.start);

    const b = await distilled(7, data);
    a.sub.params.forEach((p, i) => expect(Buffer.from(p.values.buffer).equals(Buffer.from(b.sub.params[i]!.values.buffer)), p.name).toBe(true));
    const c = await distilled(8, data);
    expect(c.sub.params.some((p, i) => p.values.some((v, j) => v !== a.sub.params[i]!.values[j]))).toBe(true);

    // Write back and compare onnxruntime on the written model with the forward graph of the trained head.
    const student = tinyHead(1, 0.5, 2);
    const editor = new GraphEditor(cloneModel(student));
    writeHeadParams(editor, a.sub.params);
    const written = editor.finish();
    const feat = randomValues(3 * featDims.reduce((x, y) => x * y, 1), 1, mulberry32(99));
    const got = await runModel(written, feat, 3);
    const s = await ort.InferenceSession.create(encodeModel(buildGraph(a.sub, undefined, 'forward')), { intraOpNumThreads: 1 });
    const feeds = Object.fromEntries(a.sub.params.map((p) => [p.name, new ort.Tensor('float32', p.values, p.dims)]));
    const want = (await s.run({ feat: new ort.Tensor('float32', feat, [3, ...featDims]), ...feeds })).out!.data as Float32Array;
    expect(got.out!.length).toBe(want.length);
    let diff = 0;
    want.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - got.out![i]!))));
    expect(diff).toBeLessThan(1e-5);
    // The trained model is not the student any more, and is close to the teacher.
    const before = await runModel(student, feat, 3);
    const teacherOut = await runModel(teacher, feat, 3);
    const dist = (x: Float32Array, y: Float32Array) => Math.sqrt(x.reduce((acc, v, i) => acc + (v - y[i]!) ** 2, 0));
    expect(dist(got.out!, teacherOut.out!)).toBeLessThan(0.5 * dist(before.out!, teacherOut.out!));
    // The level outside the head shares the 1x1 weight: it still computes exactly what it did.
    expect(Buffer.from(got.other!.buffer).equals(Buffer.from(before.other!.buffer))).toBe(true);
  }, 120_000);
});
