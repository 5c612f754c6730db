// The backward pass of each op whole-network distillation meets (strided plain and depthwise Conv, MaxPool,
// Resize linear and nearest, Slice, Concat, Split, the channel shuffle's Reshape + Transpose, Add, SiLU) against
// central finite differences of the loss, on small random tensors: a trainable conv, the op, a trainable 1x1 conv
// (the first conv's gradient goes through the op's backward pass), in an opset-11 model as the exports are.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { intAttr, intsAttr, makeNode } from '../../src/onnx/graph-edit.ts';
import { encodeModel } from '../../src/onnx/model-io.ts';
import { AttributeType, DataType, onnx, type INodeProto, type ITensorProto, type Model } from '../../src/onnx/proto.ts';
import { float32Tensor, int64Tensor } from '../../src/onnx/tensor.ts';
import type { HeadSubgraph } from '../../src/variants/distill/head-subgraph.ts';
import { teacherInput, type LossSpec } from '../../src/variants/distill/losses.ts';
import { resizeMatrix } from '../../src/variants/distill/resize-matrix.ts';
import { LOSS_OUTPUT, buildGraph, gradOutput } from '../../src/variants/distill/train-graph.ts';
import { mulberry32 } from '../../src/random.ts';
import { extractWhole } from '../../src/variants/distill/whole-subgraph.ts';
import { randomValues } from './distill-tiny-head.ts';
import { expectFiniteDifferences } from './finite-differences.ts';

const C = 4;
const OUT = 3;

function strAttr(name: string, value: string) {
  return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
}

function conv(name: string, x: string, y: string, k: number, stride: number, group: number, cin: number, cout: number): { node: INodeProto; weights: ITensorProto[] } {
  const random = mulberry32(name.length * 7 + cout);
  const pad = (k - 1) / 2;
  return {
    node: makeNode('Conv', name, [x, `${name}.w`, `${name}.b`], [y], [
      intAttr('group', group), intsAttr('kernel_shape', [k, k]), intsAttr('pads', [pad, pad, pad, pad]), intsAttr('strides', [stride, stride]), intsAttr('dilations', [1, 1]),
    ]),
    weights: [float32Tensor(`${name}.w`, [cout, cin / group, k, k], randomValues((cout * cin * k * k) / group, 0.4, random)), float32Tensor(`${name}.b`, [cout], randomValues(cout, 0.1, random))],
  };
}

interface Case {
  name: string;
  size: number;
  /** Nodes from `a` (the first conv's output, C channels) to `z` (`channels` channels); constants they read. */
  body: INodeProto[];
  constants?: ITensorProto[];
  channels?: number;
  /** The first conv's stride and group (strided and depthwise convs). */
  stride?: number;
  depthwise?: boolean;
}

/** x [1, C, size, size] -> Conv -> body -> 1x1 Conv -> out [1, OUT, ., .]. */
function model(c: Case): Model {
  const first = c.depthwise
    ? conv('c0', 'x', 'a', 3, c.stride ?? 1, C, C, C)
    : conv('c0', 'x', 'a', 3, c.stride ?? 1, 1, C, C);
  const last = conv('c1', 'z', 'out', 1, 1, 1, c.channels ?? C, OUT);
  const value = (name: string, dims?: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({ elemType: DataType.FLOAT, shape: dims ? onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })) }) : undefined }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: c.name,
    node: [first.node, ...c.body, last.node],
    initializer: [...first.weights, ...last.weights, ...(c.constants ?? [])],
    input: [value('x', [1, C, c.size, c.size])],
    output: [value('out')],
  });
  return onnx.ModelProto.create({ irVersion: 7, opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 11 })], graph }) as Model;
}

const loss: LossSpec = {
  terms: [{ output: 'out', channels: [0, OUT], kind: 'smooth-l1', weight: 'w' }],
  weights: [{ name: 'w', output: 'out', channels: [0, 1], base: 1, gain: 0 }],
};

const pass = (x: string, y: string): INodeProto => makeNode('Identity', `id_${y}`, [x], [y]);
const ints = (name: string, v: number[]) => int64Tensor(name, [v.length], v);
const floats = (name: string, v: number[]) => float32Tensor(name, [v.length], Float32Array.from(v));

const mid = (size: number, depthwise: boolean): Case => {
  const m = conv('mid', 'a', 'z', 3, 2, depthwise ? C : 1, C, C);
  return { name: `${depthwise ? 'depthwise' : 'plain'} conv 3x3 stride 2 inside (dX by ConvTranspose), input ${size}`, size, body: [m.node], constants: m.weights };
};

const CASES: Case[] = [
  mid(7, false),
  mid(8, false),
  mid(7, true),
  mid(8, true),
  { name: 'conv 3x3 stride 2, odd input', size: 7, stride: 2, body: [pass('a', 'z')] },
  { name: 'conv 3x3 stride 2, even input', size: 8, stride: 2, body: [pass('a', 'z')] },
  { name: 'depthwise conv 3x3 stride 2', size: 8, stride: 2, depthwise: true, body: [pass('a', 'z')] },
  { name: 'depthwise conv 3x3 stride 1 + LeakyRelu', size: 6, depthwise: true, body: [makeNode('LeakyRelu', 'lr', ['a'], ['z'], [onnx.AttributeProto.create({ name: 'alpha', type: AttributeType.FLOAT, f: 0.1 })])] },
  { name: 'MaxPool 3x3 stride 2 pad 1', size: 8, body: [makeNode('MaxPool', 'mp', ['a'], ['z'], [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [2, 2])])] },
  { name: 'MaxPool 5x5 stride 1 pad 2 (SPP)', size: 6, body: [makeNode('MaxPool', 'mp', ['a'], ['z'], [intsAttr('kernel_shape', [5, 5]), intsAttr('pads', [2, 2, 2, 2]), intsAttr('strides', [1, 1])])] },
  {
    name: 'Resize linear pytorch_half_pixel x2 + Add',
    size: 4,
    constants: [floats('roi', []), floats('scales', [1, 1, 2, 2])],
    body: [
      makeNode('Resize', 'rs', ['a', 'roi', 'scales'], ['up'], [strAttr('mode', 'linear'), strAttr('coordinate_transformation_mode', 'pytorch_half_pixel'), strAttr('nearest_mode', 'floor')]),
      makeNode('Relu', 'r', ['up'], ['upr']),
      makeNode('Add', 'add', ['up', 'upr'], ['z']),
    ],
  },
  {
    name: 'Resize nearest asymmetric floor x2',
    size: 3,
    constants: [floats('roi', []), floats('scales', [1, 1, 2, 2])],
    body: [makeNode('Resize', 'rs', ['a', 'roi', 'scales'], ['z'], [strAttr('mode', 'nearest'), strAttr('coordinate_transformation_mode', 'asymmetric'), strAttr('nearest_mode', 'floor')])],
  },
  {
    name: 'Slice (channels 1..3, INT_MAX end) + Concat',
    size: 5,
    channels: 6,
    constants: [ints('s0', [1]), ints('e0', [3]), ints('ax', [1]), ints('s1', [2]), ints('e1', [2 ** 31 - 1])],
    body: [makeNode('Slice', 'sl0', ['a', 's0', 'e0', 'ax'], ['p']), makeNode('Slice', 'sl1', ['a', 's1', 'e1', 'ax'], ['q']), makeNode('Sigmoid', 'sg', ['p'], ['ps']), makeNode('Concat', 'cat', ['ps', 'q', 'p'], ['z'], [intAttr('axis', 1)])],
  },
  {
    name: 'Split (attribute, opset 11) + SiLU',
    size: 5,
    channels: 3,
    body: [
      makeNode('Split', 'sp', ['a'], ['s1', 's2'], [intAttr('axis', 1), intsAttr('split', [1, 3])]),
      makeNode('Sigmoid', 'sg', ['s2'], ['g']),
      makeNode('Mul', 'silu', ['s2', 'g'], ['z']),
    ],
  },
  {
    name: 'channel shuffle (Reshape with batch 1, Transpose, Reshape)',
    size: 4,
    constants: [ints('shape5', [1, 2, C / 2, 4, 4]), ints('shape4', [1, -1, 4, 4])],
    body: [makeNode('Reshape', 'r1', ['a', 'shape5'], ['r']), makeNode('Transpose', 't', ['r'], ['t_out'], [intsAttr('perm', [0, 2, 1, 3, 4])]), makeNode('Reshape', 'r2', ['t_out', 'shape4'], ['z'])],
  },
];

async function open(sub: HeadSubgraph, mode: 'forward' | 'loss' | 'train'): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(buildGraph(sub, loss, mode)), { intraOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

describe('distill: gradients of the whole-network ops', () => {
  it.each(CASES)('$name: equal central finite differences', async (c) => {
    const n = 2;
    const teacher = extractWhole(model(c), ['out']);
    const student = extractWhole(model(c), ['out']);
    const random = mulberry32(11);
    for (const p of student.params) p.values = p.values.map((v) => v + 0.2 * randomValues(1, 1, random)[0]!);
    const x = new ort.Tensor('float32', randomValues(n * C * c.size * c.size, 1, random), [n, C, c.size, c.size]);
    const params = (sub: HeadSubgraph) => Object.fromEntries(sub.params.map((p) => [p.name, new ort.Tensor('float32', p.values, p.dims)]));
    const target = (await (await open(teacher, 'forward')).run({ x, ...params(teacher) })).out!;
    const [, , h, w] = target.dims;
    const fixed = { x, [teacherInput('out')]: target, w: new ort.Tensor('float32', new Float32Array(n * h! * w!).fill(1), [n, 1, h!, w!]) };
    const result = await (await open(student, 'train')).run({ ...fixed, ...params(student) });
    const lossOnly = await open(student, 'loss');
    const lossAt = async () => ((await lossOnly.run({ ...fixed, ...params(student) }))[LOSS_OUTPUT]!.data as Float32Array)[0]!;
    expect(await lossAt()).toBeGreaterThan(1e-3);
    for (const p of student.params) {
      const grad = result[gradOutput(p.name)]!.data as Float32Array;
      expect(Math.max(...grad.map(Math.abs)), `${p.name}: all-zero gradient`).toBeGreaterThan(0);
    }
    await expectFiniteDifferences(student.params, (p) => result[gradOutput(p.name)]!.data as Float32Array, lossAt, random, {
      samples: 5,
      tolerance: (analytic, scale) => 1e-3 + 2e-2 * Math.abs(analytic) + 1e-3 * scale,
    });
  });

  it.each([
    ['linear', 'pytorch_half_pixel', 5, 10],
    ['linear', 'half_pixel', 4, 7],
    ['linear', 'align_corners', 3, 8],
    ['nearest', 'asymmetric', 3, 6],
    ['nearest', 'half_pixel', 4, 9],
  ] as const)('Resize %s %s %i -> %i as matrices equals onnxruntime', async (mode, transform, size, out) => {
    const random = mulberry32(5);
    const x = randomValues(2 * size * size, 1, random);
    const sizes = int64Tensor('sizes', [4], [1, 2, out, out]);
    const graph = onnx.GraphProto.create({
      name: 'resize',
      node: [makeNode('Resize', 'rs', ['x', 'roi', '', 'sizes'], ['y'], [strAttr('mode', mode), strAttr('coordinate_transformation_mode', transform), strAttr('nearest_mode', 'round_prefer_floor')])],
      initializer: [float32Tensor('roi', [0], new Float32Array()), sizes],
      input: [onnx.ValueInfoProto.create({ name: 'x', type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: DataType.FLOAT }) }) })],
      output: [onnx.ValueInfoProto.create({ name: 'y', type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: DataType.FLOAT }) }) })],
    });
    const m = onnx.ModelProto.create({ irVersion: 7, opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })], graph });
    const s = await ort.InferenceSession.create(encodeModel(m));
    const y = (await s.run({ x: new ort.Tensor('float32', x, [1, 2, size, size]) })).y!.data as Float32Array;
    const a = resizeMatrix({ mode, transform, nearest: 'round_prefer_floor', inSize: size, outSize: out, scale: out / size });
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < out; i++) {
        for (let j = 0; j < out; j++) {
          let v = 0;
          for (let p = 0; p < size; p++) for (let q = 0; q < size; q++) v += a[i * size + p]! * x[(c * size + p) * size + q]! * a[j * size + q]!;
          expect(v).toBeCloseTo(y[(c * out + i) * out + j]!, 5);
        }
      }
    }
  });
});
