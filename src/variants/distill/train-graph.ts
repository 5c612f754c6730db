// One ONNX graph per training step: the head's forward pass, the loss, and a backward pass written by hand
// (reverse-mode differentiation over the head's nodes), so onnxruntime computes the loss and every parameter's
// gradient in one run. onnxruntime-node has no training API and the npm autodiff libraries that install here
// are too slow for this (bench/distill.bench.ts); the head's ops are few:
// - Conv (stride 1): dX = ConvTranspose(dY, W) with the same group and pads; db = sum of dY over N, H, W;
//   dW for a plain conv = Conv(X^T, dY^T) with N as the channel axis (batch Cin, kernel H x W), or a matrix
//   product for 1x1 convs; for a depthwise conv the same Conv with the channels as groups.
// - LeakyRelu/Relu: dX = dY where X > 0, else alpha dY; Sigmoid: dX = dY y (1 - y); Mul: dA = dY B, dB = dY A;
//   Add/Identity pass dY through (Mul and Add between equal shapes, as SiLU and residuals in these heads).
import { InputError } from '../../errors.ts';
import { attrFloat, attrInt, attrInts } from '../../onnx/attributes.ts';
import { DataType, onnx, type INodeProto, type Model } from '../../onnx/proto.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { HeadSubgraph } from './head-subgraph.ts';
import { addLoss, teacherInput, type LossSpec } from './losses.ts';

export type GraphMode = 'forward' | 'loss' | 'train';

export const LOSS_OUTPUT = 'loss';

export function gradOutput(param: string): string {
  return `grad:${param}`;
}

/** The graph's inputs in `mode`: features, parameters, and (loss, train) the teacher outputs and weights. */
export function graphInputs(sub: HeadSubgraph, loss: LossSpec | undefined, mode: GraphMode): string[] {
  const inputs = [...sub.inputs, ...sub.params.map((p) => p.name)];
  if (mode === 'forward' || !loss) return inputs;
  return [...inputs, ...sub.outputs.map(teacherInput), ...loss.weights.map((w) => w.name)];
}

/** The forward graph (head outputs), the loss graph (loss only) or the training graph (loss and gradients). */
export function buildGraph(sub: HeadSubgraph, loss: LossSpec | undefined, mode: GraphMode): Model {
  const b = new GraphBuilder('distill');
  const outputs: string[] = [];
  if (mode === 'forward') {
    outputs.push(...sub.outputs);
  } else {
    if (!loss) throw new Error('distill: a loss graph needs a loss');
    const { loss: total, grads } = addLoss(b, loss);
    b.op('Identity', [total], {}, LOSS_OUTPUT);
    outputs.push(LOSS_OUTPUT);
    if (mode === 'train') {
      const paramGrads = addBackward(b, sub, grads);
      for (const p of sub.params) {
        const g = paramGrads.get(p.name);
        // A parameter the loss does not reach has zero gradient.
        b.op('Identity', [g ?? b.op('Mul', [p.name, b.scalar(0)])], {}, gradOutput(p.name));
        outputs.push(gradOutput(p.name));
      }
    }
  }
  const valueInfo = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: DataType.FLOAT }) }) });
  const graph = onnx.GraphProto.create({
    name: `distill-${mode}`,
    node: [...sub.nodes, ...b.nodes],
    initializer: [...sub.constants, ...b.constants],
    input: graphInputs(sub, loss, mode).map(valueInfo),
    output: outputs.map(valueInfo),
  });
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'flopmap-distill',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    graph,
  }) as Model;
}

/** Reverse pass over the head's nodes; returns the gradient tensor of each parameter. */
function addBackward(b: GraphBuilder, sub: HeadSubgraph, outputGrads: Map<string, string>): Map<string, string> {
  const params = new Set(sub.params.map((p) => p.name));
  const frozen = new Set(sub.inputs);
  const contributions = new Map<string, string[]>();
  const contribute = (tensor: string, grad: string): void => {
    if (frozen.has(tensor) || !tensor) return;
    const list = contributions.get(tensor) ?? [];
    list.push(grad);
    contributions.set(tensor, list);
  };
  const gradOf = (tensor: string): string | undefined => {
    const list = contributions.get(tensor);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0]!;
    const sum = b.op('Sum', list);
    contributions.set(tensor, [sum]);
    return sum;
  };
  // Tensors that depend on a parameter: only those need gradients.
  const trainable = new Set<string>(params);
  for (const n of sub.nodes) if ((n.input ?? []).some((i) => trainable.has(i))) for (const o of n.output ?? []) trainable.add(o);
  const needs = (t: string): boolean => trainable.has(t) && !frozen.has(t);

  for (const [output, grad] of outputGrads) contribute(output, grad);
  for (const node of [...sub.nodes].reverse()) {
    const y = (node.output ?? [])[0] ?? '';
    const gy = gradOf(y);
    if (!gy) continue;
    const [a = '', c = ''] = node.input ?? [];
    switch (node.opType) {
      case 'Conv':
        convBackward(b, node, gy, contribute, needs);
        break;
      case 'Relu':
      case 'LeakyRelu': {
        const alpha = node.opType === 'Relu' ? 0 : attrFloat(node, 'alpha', 0.01);
        const positive = b.op('Greater', [a, b.scalar(0)]);
        contribute(a, b.op('Where', [positive, gy, b.op('Mul', [gy, b.scalar(alpha)])]));
        break;
      }
      case 'Sigmoid': {
        const slope = b.op('Mul', [y, b.op('Sub', [b.scalar(1), y])]);
        contribute(a, b.op('Mul', [gy, slope]));
        break;
      }
      case 'Mul':
        if (needs(a)) contribute(a, b.op('Mul', [gy, c]));
        if (needs(c)) contribute(c, b.op('Mul', [gy, a]));
        break;
      case 'Add':
        if (needs(a)) contribute(a, gy);
        if (needs(c)) contribute(c, gy);
        break;
      case 'Identity':
        contribute(a, gy);
        break;
      default:
        throw new InputError(`distill: no gradient for ${node.opType} (node ${node.name}) in the head`);
    }
  }
  const grads = new Map<string, string>();
  for (const p of params) {
    const g = gradOf(p);
    if (g) grads.set(p, g);
  }
  return grads;
}

function convBackward(
  b: GraphBuilder,
  node: INodeProto,
  gy: string,
  contribute: (tensor: string, grad: string) => void,
  needs: (tensor: string) => boolean,
): void {
  const [x = '', w = '', bias = ''] = node.input ?? [];
  const group = attrInt(node, 'group', 1);
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  const kernel = attrInts(node, 'kernel_shape', []);
  if (kernel.length !== 2) throw new InputError(`distill: conv ${node.name} has no 2-D kernel_shape`);
  if (bias) contribute(bias, b.op('ReduceSum', [gy, b.ints([0, 2, 3])], { keepdims: 0 }));
  const yT = b.op('Transpose', [gy], { perm: [1, 0, 2, 3] }); // [Cout, N, H, W]
  const xT = b.op('Transpose', [x], { perm: [1, 0, 2, 3] }); // [Cin, N, H, W]
  let gw: string;
  if (group === 1 && kernel[0] === 1 && kernel[1] === 1 && pads.every((p) => p === 0)) {
    const flat = b.ints([0, -1]);
    const product = b.op('Gemm', [b.op('Reshape', [yT, flat]), b.op('Reshape', [xT, flat])], { transB: 1 }); // [Cout, Cin]
    gw = b.op('Unsqueeze', [product, b.ints([2, 3])]);
  } else if (group === 1) {
    // Batch Cin, N channels, kernel = dY: out[ci, co, kh, kw] = sum_n,y,x Xpad[n, ci, y+kh, x+kw] dY[n, co, y, x].
    const out = b.op('Conv', [xT, yT], { pads, group: 1 });
    gw = b.op('Transpose', [out], { perm: [1, 0, 2, 3] });
  } else {
    // Depthwise (one input channel per group): channels (c, n) in one batch, grouped by c.
    const xGrouped = b.op('Reshape', [xT, b.ints([1, -1, 0, 0])]);
    const out = b.op('Conv', [xGrouped, yT], { pads, group }); // [1, Cout, kh, kw]
    gw = b.op('Reshape', [out, b.ints([-1, 1, 0, 0])]);
  }
  contribute(w, gw);
  if (needs(x)) contribute(x, b.op('ConvTranspose', [gy, w], { group, pads, kernel_shape: kernel }));
}
