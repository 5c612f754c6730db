// Per-node cost: MACs and FLOPs from the op's rule, weights (params) and output bytes.
import { DataType, type INodeProto, type ITensorProto } from '../onnx/proto.ts';
import { bytesPerElement, elementCount, tensorDims } from '../onnx/tensor.ts';
import { resolveWeight } from '../onnx/weights.ts';
import type { GraphIndex } from './graph.ts';
import { ruleFor } from './ops/registry.ts';
import type { TensorInfo } from './ops/rule.ts';

export interface NodeCost {
  macs: number;
  flops: number;
  params: number;
  outputBytes: number;
  /** null for an output whose shape could not be inferred. */
  outputShapes: (number[] | null)[];
  /** Weight tensors read, by the name the node reads them under, with their element counts. */
  weights: Map<string, number>;
}

const FLOATING = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);

/** The weight behind a tensor name (an initializer or Constant, through Identity copies), or undefined. */
export function weightSource(index: GraphIndex, name: string): ITensorProto | undefined {
  return resolveWeight({ initializer: (n) => index.initializers.get(n), producer: (n) => {
    const p = index.producer.get(n);
    return p === undefined ? undefined : index.nodes[p];
  } }, name);
}

export function countNode(index: GraphIndex, node: INodeProto, tensors: Map<string, TensorInfo>): NodeCost {
  const outputShapes: (number[] | null)[] = [];
  let outputBytes = 0;
  for (const name of node.output ?? []) {
    const t = name ? tensors.get(name) : undefined;
    outputShapes.push(t ? t.shape : null);
    if (t) outputBytes += elementCount(t.shape) * bytesPerElement(t.dtype);
  }
  const rule = !node.domain || node.domain === 'ai.onnx' ? ruleFor(node.opType ?? '') : undefined;
  const inputs = node.input ?? [];
  const weights = new Map<string, number>();
  if (rule?.hasWeights) {
    for (const name of inputs) {
      if (!name || weights.has(name)) continue;
      const source = weightSource(index, name);
      if (source && FLOATING.has(source.dataType ?? 0)) weights.set(name, elementCount(tensorDims(source)));
    }
  }
  const params = [...weights.values()].reduce((a, b) => a + b, 0);
  const shaped = (node.output ?? []).some((o) => o && tensors.has(o));
  if (!rule || !shaped) return { macs: 0, flops: 0, params, outputBytes, outputShapes, weights };
  const inputShapes = inputs.map((n) => (n ? tensors.get(n)?.shape : undefined));
  const cost = rule.count({
    node,
    opset: index.opset,
    inputShapes,
    outputShapes: outputShapes.map((shape) => shape ?? []),
    has: (i) => i < inputs.length && inputs[i] !== '',
  });
  return { ...cost, params, outputBytes, outputShapes, weights };
}
