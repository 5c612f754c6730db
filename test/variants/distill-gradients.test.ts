// The hand-written backward pass against central finite differences of the loss, computed by onnxruntime on
// the same graphs, for every parameter of a tiny head covering each op the heads use.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/onnx/model-io.ts';
import { extractHead, type HeadSubgraph } from '../../src/variants/distill/head-subgraph.ts';
import { positionWeights, teacherInput, type LossSpec } from '../../src/variants/distill/losses.ts';
import { LOSS_OUTPUT, buildGraph, gradOutput } from '../../src/variants/distill/train-graph.ts';
import { mulberry32 } from '../../src/random.ts';
import { TINY, randomValues, tinyHead, tinyLoss } from './distill-tiny-head.ts';
import { expectFiniteDifferences } from './finite-differences.ts';

async function open(sub: HeadSubgraph, loss: LossSpec, mode: 'forward' | 'loss' | 'train'): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(buildGraph(sub, loss, mode)), { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

describe('distill: hand-written gradients', () => {
  it('equal central finite differences for every parameter (conv, depthwise conv, LeakyRelu, Relu, SiLU, Add; BCE, bin KL, smooth-L1)', async () => {
    const loss = tinyLoss();
    const teacherSub = extractHead(tinyHead(1), ['feat'], ['out']);
    const student = extractHead(tinyHead(2), ['feat'], ['out']);
    const n = 2;
    const random = mulberry32(3);
    const featDims = [n, TINY.channels, TINY.size, TINY.size];
    const feat = new ort.Tensor('float32', randomValues(featDims.reduce((a, b) => a * b, 1), 1, random), featDims);
    const paramFeeds = (sub: HeadSubgraph) => Object.fromEntries(sub.params.map((p) => [p.name, new ort.Tensor('float32', p.values, p.dims)]));
    const forward = await open(teacherSub, loss, 'forward');
    const teacher = (await forward.run({ feat, ...paramFeeds(teacherSub) })).out!;
    const tData = teacher.data as Float32Array;
    const plane = TINY.size * TINY.size;
    const perSample = tData.length / n;
    const w = new Float32Array(n * plane);
    for (let s = 0; s < n; s++) {
      const ws = positionWeights(loss, { out: { data: tData.subarray(s * perSample, (s + 1) * perSample), dims: [1, ...teacher.dims.slice(1)] } }).w!;
      w.set(ws, s * plane);
    }
    const fixed = { feat, [teacherInput('out')]: teacher, w: new ort.Tensor('float32', w, [n, 1, TINY.size, TINY.size]) };
    const train = await open(student, loss, 'train');
    const lossOnly = await open(student, loss, 'loss');
    const result = await train.run({ ...fixed, ...paramFeeds(student) });
    const lossAt = async (): Promise<number> => ((await lossOnly.run({ ...fixed, ...paramFeeds(student) }))[LOSS_OUTPUT]!.data as Float32Array)[0]!;
    expect(await lossAt()).toBeGreaterThan(0.1);
    const checked = await expectFiniteDifferences(student.params, (p) => result[gradOutput(p.name)]!.data as Float32Array, lossAt, random, {
      samples: 6,
      tolerance: (analytic) => 2e-3 + 2e-2 * Math.abs(analytic),
    });
    expect(checked).toBe(6 * student.params.length);
    expect(student.params.length).toBe(6);
  });
});
