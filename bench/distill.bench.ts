// Distillation speed: one training step of the NanoDet-m P3 head (lowrank x0.25 variant, real features of
// calibration images), side by side:
// - @tensorflow/tfjs with its cpu backend (automatic gradients; pure-JS kernels), one step at batch 1
//   (a batch of 8 takes 8x as long: measured once by the previous session, 195 s);
// - the hand-written backward in one ONNX graph per step, run by onnxruntime, batch 8 (what `--distill` uses);
// - onnxruntime forward only, the same head and batch (the floor).
// Times are CPU seconds of this process (process.cpuUsage), so other load on the machine does not count;
// wall seconds are printed too. tfjs-backend-wasm cannot train convs (no Conv2DBackpropFilter kernel) and
// tfjs-node downloads a native library at install, which fails here: neither is measured.
import * as tf from '@tensorflow/tfjs';
import ort from 'onnxruntime-node';
import { dataPath } from '../src/data-dir.ts';
import { attrFloat, attrInt, attrInts } from '../src/onnx/attributes.ts';
import { encodeModel, loadModel } from '../src/onnx/model-io.ts';
import { buildVariant } from '../src/variants/index.ts';
import { extractHead, headBoundary, type HeadSubgraph } from '../src/variants/distill/head-subgraph.ts';
import { listTrainingImages } from '../src/variants/calibration.ts';
import { buildSamples } from '../src/variants/distill/samples.ts';
import { teacherInput, type LossSpec } from '../src/variants/distill/losses.ts';
import { buildGraph } from '../src/variants/distill/train-graph.ts';
import type { DistillData } from '../src/variants/distill/trainer.ts';

const BATCH = 8;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timed(f: () => Promise<unknown>, repeats: number): Promise<{ cpu: number; wall: number }> {
  await f(); // warm-up
  const c = cpuSeconds();
  const w = performance.now();
  for (let i = 0; i < repeats; i++) await f();
  return { cpu: (cpuSeconds() - c) / repeats, wall: (performance.now() - w) / 1000 / repeats };
}

function stack(parts: Float32Array[], dims: number[], n: number): ort.Tensor {
  const size = parts[0]!.length;
  const out = new Float32Array(size * n);
  for (let i = 0; i < n; i++) out.set(parts[i % parts.length]!, i * size);
  return new ort.Tensor('float32', out, [n, ...dims]);
}

function ortFeeds(sub: HeadSubgraph, loss: LossSpec, data: DistillData, n: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  sub.inputs.forEach((name, k) => (feeds[name] = stack(data.samples.map((s) => s.features[k]!), data.featureDims[k]!, n)));
  sub.outputs.forEach((name, k) => (feeds[teacherInput(name)] = stack(data.samples.map((s) => s.teacher[k]!), data.teacherDims[k]!, n)));
  loss.weights.forEach((w, k) => (feeds[w.name] = stack(data.samples.map((s) => s.weights[k]!), [1, ...data.weightDims[k]!], n)));
  sub.params.forEach((p) => (feeds[p.name] = new ort.Tensor('float32', p.values, p.dims)));
  return feeds;
}

/** The same head in tfjs (NHWC), with the teacher's outputs as an MSE target: the convs dominate the cost. */
function tfjsStep(sub: HeadSubgraph, data: DistillData): () => Promise<void> {
  const vars = new Map<string, tf.Variable>();
  const layout = new Map<string, (t: tf.Tensor) => tf.Tensor>();
  for (const node of sub.nodes) {
    if (node.opType !== 'Conv') continue;
    const [, wName = '', bName = ''] = node.input ?? [];
    const w = sub.params.find((p) => p.name === wName)!;
    const b = sub.params.find((p) => p.name === bName)!;
    const depthwise = attrInt(node, 'group', 1) !== 1;
    // ONNX [O, I, kh, kw] -> tfjs conv2d [kh, kw, I, O]; depthwise [C, 1, kh, kw] -> [kh, kw, C, 1].
    const kernel = tf.transpose(tf.tensor4d(w.values, w.dims as [number, number, number, number]), depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0]);
    vars.set(wName, tf.variable(kernel));
    vars.set(bName, tf.variable(tf.tensor1d(b.values)));
    const [t, l, bottom, r] = attrInts(node, 'pads', [0, 0, 0, 0]);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [t!, bottom!], [l!, r!], [0, 0]];
    layout.set(node.name ?? '', (x) => {
      const k = vars.get(wName)! as tf.Tensor4D;
      const y = depthwise ? tf.depthwiseConv2d(x as tf.Tensor4D, k, 1, pad) : tf.conv2d(x as tf.Tensor4D, k, 1, pad);
      return tf.add(y, vars.get(bName)!);
    });
  }
  const toNhwc = (values: Float32Array, dims: number[]) => tf.transpose(tf.tensor4d(values, [1, ...dims] as [number, number, number, number]), [0, 2, 3, 1]);
  const inputs = sub.inputs.map((_, k) => toNhwc(data.samples[0]!.features[k]!, data.featureDims[k]!));
  const targets = sub.outputs.map((_, k) => toNhwc(data.samples[0]!.teacher[k]!, data.teacherDims[k]!));
  const forward = (): tf.Scalar => {
    const values = new Map<string, tf.Tensor>(sub.inputs.map((name, k) => [name, inputs[k]!]));
    for (const node of sub.nodes) {
      const [a = '', c = ''] = node.input ?? [];
      const x = values.get(a)!;
      let y: tf.Tensor;
      switch (node.opType) {
        case 'Conv': y = layout.get(node.name ?? '')!(x); break;
        case 'LeakyRelu': y = tf.leakyRelu(x, attrFloat(node, 'alpha', 0.01)); break;
        case 'Relu': y = tf.relu(x); break;
        case 'Sigmoid': y = tf.sigmoid(x); break;
        case 'Mul': y = tf.mul(x, values.get(c)!); break;
        case 'Add': y = tf.add(x, values.get(c)!); break;
        default: throw new Error(`bench: no tfjs op for ${node.opType}`);
      }
      values.set((node.output ?? [])[0] ?? '', y);
    }
    return tf.addN(sub.outputs.map((o, k) => tf.losses.meanSquaredError(targets[k]!, values.get(o)!))) as tf.Scalar;
  };
  const optimizer = tf.train.adam(1e-3);
  return async () => {
    const cost = optimizer.minimize(forward, true, [...vars.values()]);
    await cost?.data();
    cost?.dispose();
  };
}

await tf.setBackend('cpu');
const original = loadModel(dataPath('models', 'nanodet_m_320.onnx'));
const variant = await buildVariant(original, { block: 'lowrank', levels: ['P3'], ratio: 0.25 });
const { inputs, outputs } = headBoundary(original, variant.sourceProfile, ['P3']);
const { data, loss } = await buildSamples(original, inputs, outputs, listTrainingImages(dataPath('coco')), { family: 'nanodet', size: 320, seed: 1, images: 3 });
const sub = extractHead(variant.model, inputs, outputs);
const feeds = ortFeeds(sub, loss, data, BATCH);
const options = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const };
const forwardSession = await ort.InferenceSession.create(encodeModel(buildGraph(sub, loss, 'forward')), options);
const trainSession = await ort.InferenceSession.create(encodeModel(buildGraph(sub, loss, 'train')), options);
const forwardFeeds = Object.fromEntries(Object.entries(feeds).filter(([k]) => forwardSession.inputNames.includes(k)));
const fwd = await timed(() => forwardSession.run(forwardFeeds), REPEATS);
const step = await timed(() => trainSession.run(feeds), REPEATS);
const tfjs = await timed(tfjsStep(sub, data), 1);

const samples = 305 * 3;
const stepsPerEpoch = Math.floor((samples * 0.9) / BATCH);
console.log(`NanoDet-m lowrank-P3 x0.25 head (${sub.params.reduce((a, p) => a + p.values.length, 0)} parameters, ${sub.nodes.length} nodes), 1 thread, CPU seconds (wall):`);
console.log(`  onnxruntime forward only, batch ${BATCH}:          ${(fwd.cpu * 1000).toFixed(0)} ms (${(fwd.wall * 1000).toFixed(0)} ms)`);
console.log(`  onnxruntime hand-written train step, batch ${BATCH}: ${(step.cpu * 1000).toFixed(0)} ms (${(step.wall * 1000).toFixed(0)} ms)  = ${(step.cpu / fwd.cpu).toFixed(1)}x forward only`);
console.log(`  tfjs cpu backend train step    , batch 1:     ${(tfjs.cpu * 1000).toFixed(0)} ms (${(tfjs.wall * 1000).toFixed(0)} ms)  = ${((tfjs.cpu * BATCH) / step.cpu).toFixed(0)}x onnxruntime per sample`);
console.log(`  onnxruntime: ${(1 / step.cpu).toFixed(2)} steps/s, ${stepsPerEpoch} steps per epoch of ${samples} samples (90% trained) = ${(stepsPerEpoch * step.cpu).toFixed(0)} s per epoch; tfjs would take ${((stepsPerEpoch * BATCH * tfjs.cpu) / 60).toFixed(0)} min per epoch`);
await forwardSession.release();
await trainSession.release();
