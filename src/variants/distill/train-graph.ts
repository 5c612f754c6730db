// One ONNX graph per training step: the subgraph's forward pass (a head, or the whole network), the loss, and a
// backward pass written by hand (reverse-mode differentiation over its nodes), so onnxruntime computes the loss
// and every parameter's gradient in one run. onnxruntime-node has no training API and the npm autodiff libraries
// that install here are too slow for this (bench/distill.bench.ts). The ops' gradients are in backward-ops.ts;
// the elementwise ones are here: LeakyRelu/Relu: dX = dY where X > 0, else alpha dY; Sigmoid: dX = dY y (1 - y);
// Mul: dA = dY B, dB = dY A; Add/Identity pass dY through (Mul and Add between equal shapes, as SiLU and
// residuals). The graph is opset 16 (ScatterElements' reduction, for MaxPool); nodes copied from older models
// are rewritten where an attribute became an input (Split, Squeeze, Unsqueeze, ReduceSum at opset 13).
import { InputError } from '../../errors.ts';
import { attrFloat, attrInts, attrTensor, hasAttr } from '../../onnx/attributes.ts';
import { DataType, onnx, type INodeProto, type Model } from '../../onnx/proto.ts';
import { tensorToNumbers } from '../../onnx/tensor.ts';
import { GraphBuilder } from './graph-builder.ts';
import {
  concatBackward, convBackward, maxPoolBackward, reshapeBackward, resizeBackward, sliceBackward, splitBackward, transposeBackward,
  type BackwardContext,
} from './backward-ops.ts';
import type { HeadSubgraph } from './head-subgraph.ts';
import { addLoss, teacherInput, type LossSpec } from './losses.ts';

export type GraphMode = 'forward' | 'loss' | 'train';

export const LOSS_OUTPUT = 'loss';
/** ScatterElements with reduction 'add' (MaxPool's gradient) needs opset 16. */
export const TRAIN_OPSET = 16;

/** Attributes that became inputs at opset 13: the node as opset 16 reads it (constants added to `b`). */
function atTrainOpset(b: GraphBuilder, node: INodeProto): INodeProto {
  const moved: Record<string, string> = { Split: 'split', Squeeze: 'axes', Unsqueeze: 'axes', ReduceSum: 'axes' };
  const attr = moved[node.opType ?? ''];
  if (!attr || !hasAttr(node, attr)) return node;
  const values = attrInts(node, attr, []);
  return {
    ...node,
    input: [(node.input ?? [])[0] ?? '', b.ints(values)],
    attribute: (node.attribute ?? []).filter((a) => a.name !== attr),
  };
}

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
  const forward = sub.nodes.map((n) => atTrainOpset(b, n));
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
    node: [...forward, ...b.nodes],
    initializer: [...sub.constants, ...b.constants],
    input: graphInputs(sub, loss, mode).map(valueInfo),
    output: outputs.map(valueInfo),
  });
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'flopmap-distill',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: TRAIN_OPSET })],
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

  const constants = new Map(sub.constants.map((t) => [t.name ?? '', t]));
  for (const n of sub.nodes) {
    const t = n.opType === 'Constant' ? attrTensor(n, 'value') : undefined;
    if (t) constants.set((n.output ?? [])[0] ?? '', t);
  }
  const ctx: BackwardContext = {
    b,
    contribute,
    needs,
    gradOf,
    shape: (t) => {
      const s = sub.shapes?.get(t);
      if (!s) throw new InputError(`distill: no static shape for ${t} (its gradient needs one)`);
      return s;
    },
    constant: (t) => {
      const c = constants.get(t);
      return c ? tensorToNumbers(c) : undefined;
    },
  };
  const sameShape = (node: INodeProto, a: string, c: string): void => {
    const [sa, sc] = [sub.shapes?.get(a), sub.shapes?.get(c)];
    if (sa && sc && sa.join('x') !== sc.join('x')) throw new InputError(`distill: ${node.opType} ${node.name} broadcasts ${sa.join('x')} with ${sc.join('x')} (no gradient here)`);
  };

  for (const [output, grad] of outputGrads) contribute(output, grad);
  for (const node of [...sub.nodes].reverse()) {
    if (node.opType === 'Split') {
      splitBackward(ctx, node);
      continue;
    }
    const y = (node.output ?? [])[0] ?? '';
    const gy = gradOf(y);
    if (!gy) continue;
    const [a = '', c = ''] = node.input ?? [];
    switch (node.opType) {
      case 'Conv':
        convBackward(ctx, node, gy);
        break;
      case 'MaxPool':
        maxPoolBackward(ctx, node, gy);
        break;
      case 'Resize':
        resizeBackward(ctx, node, gy);
        break;
      case 'Slice':
        sliceBackward(ctx, node, gy);
        break;
      case 'Concat':
        concatBackward(ctx, node, gy);
        break;
      case 'Reshape':
        reshapeBackward(ctx, node, gy);
        break;
      case 'Transpose':
        transposeBackward(ctx, node, gy);
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
        if (needs(a) && needs(c)) sameShape(node, a, c);
        if (needs(a)) contribute(a, b.op('Mul', [gy, c]));
        if (needs(c)) contribute(c, b.op('Mul', [gy, a]));
        break;
      case 'Add':
        sameShape(node, a, c);
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
