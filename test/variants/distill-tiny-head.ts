// A tiny synthetic detection head for the distillation tests: depthwise 3x3 + LeakyRelu, 1x1 + SiLU (Sigmoid,
// Mul), a Relu residual (Add), and a 3x3 predictor with 2 class channels, 4 sides x 3 distance bins (as a NanoDet
// GFL head) and 4 box offsets (as YOLOX). A second conv outside the head shares the 1x1 weight, as a weight shared across levels.
import { makeNode, intAttr, intsAttr } from '../../src/onnx/graph-edit.ts';
import { DataType, onnx, type Model } from '../../src/onnx/proto.ts';
import { float32Tensor } from '../../src/onnx/tensor.ts';
import { mulberry32 } from '../../src/random.ts';
import type { LossSpec } from '../../src/variants/distill/losses.ts';

export const TINY = { channels: 4, size: 6, classes: 2, bins: 3 };

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function randomValues(count: number, scale: number, random: () => number): Float32Array {
  return Float32Array.from({ length: count }, () => scale * gaussian(random));
}

/** The head with weights from `seed`; `noise` > 0 perturbs them (relative, seeded by `noiseSeed`): a student
 *  that starts near the teacher, as a fitted light head does. */
export function tinyHead(seed: number, noise = 0, noiseSeed = 0): Model {
  const random = mulberry32(seed);
  const jitter = mulberry32(noiseSeed);
  const c = TINY.channels;
  const out = TINY.classes + 4 * TINY.bins + 4;
  const init = (name: string, dims: number[], scale: number) => {
    const values = randomValues(dims.reduce((a, b) => a * b, 1), scale, random);
    const delta = randomValues(values.length, scale * noise, jitter);
    return float32Tensor(name, dims, values.map((v, i) => v + delta[i]!));
  };
  const conv = (name: string, inputs: string[], output: string, k: number, group: number) =>
    makeNode('Conv', name, inputs, [output], [intAttr('group', group), intsAttr('kernel_shape', [k, k]), intsAttr('pads', k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]), intsAttr('strides', [1, 1]), intsAttr('dilations', [1, 1])]);
  const nodes = [
    conv('dw', ['feat', 'w0', 'b0'], 'a', 3, c),
    makeNode('LeakyRelu', 'lrelu', ['a'], ['a_act'], [onnx.AttributeProto.create({ name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 0.1 })]),
    conv('pw', ['a_act', 'w1', 'b1'], 'pw_out', 1, 1),
    makeNode('Sigmoid', 'sig', ['pw_out'], ['pw_sig']),
    makeNode('Mul', 'silu', ['pw_out', 'pw_sig'], ['silu_out']),
    makeNode('Relu', 'relu', ['silu_out'], ['r']),
    makeNode('Add', 'res', ['silu_out', 'r'], ['d']),
    conv('pred', ['d', 'w2', 'b2'], 'out', 3, 1),
    conv('other_level', ['feat', 'w1', 'b1'], 'other', 1, 1),
  ];
  const value = (name: string) => onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: DataType.FLOAT }) }) });
  const graph = onnx.GraphProto.create({
    name: 'tiny-head',
    node: nodes,
    initializer: [init('w0', [c, 1, 3, 3], 0.5), init('b0', [c], 0.1), init('w1', [6, c, 1, 1], 0.5), init('b1', [6], 0.1), init('w2', [out, 6, 3, 3], 0.3), init('b2', [out], 0.1)],
    input: [value('feat')],
    output: [value('out'), value('other')],
  });
  return onnx.ModelProto.create({ irVersion: 8, opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })], graph }) as Model;
}

export function tinyLoss(): LossSpec {
  const c = TINY.classes;
  const end = c + 4 * TINY.bins + 4;
  return {
    terms: [
      { output: 'out', channels: [0, c], kind: 'bce', weight: 'w' },
      { output: 'out', channels: [c, end - 4], kind: 'dist-kl', bins: TINY.bins, weight: 'w' },
      { output: 'out', channels: [end - 4, end], kind: 'smooth-l1', weight: 'w' },
    ],
    weights: [{ name: 'w', output: 'out', channels: [0, c], base: 1, gain: 10 }],
  };
}
