// Per-node cost: MACs and FLOPs from the op's rule, weights (params) and output bytes.
import { attrTensor } from '../onnx/attributes.ts';
import { DataType, type INodeProto } from '../onnx/proto.ts';
import { bytesPerElement, tensorDims } from '../onnx/tensor.ts';
import type { GraphIndex } from './graph.ts';
import { ruleFor } from './ops/registry.ts';
import { elementCount, type TensorInfo } from './ops/rule.ts';

export interface NodeCost {
  macs: number;
  flops: number;
  params: number;
  outputBytes: number;
  outputShapes: number[][];
  /** Weight tensors read, by the name the node reads them under, with their element counts. */
  weights: Map<string, number>;
}

const FLOATING = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);

/** A weight tensor: an initializer, or the tensor of a Constant node (exporters that skip initializers). */
interface WeightTensor {
  dims: number[];
  dataType: number;
}

/**
 * The weight behind a tensor name, following Identity nodes: exporters deduplicate equal weights by making
 * one initializer and Identity copies of it (the RetinaNet export does this for its zero weights).
 */
export function weightSource(index: GraphIndex, name: string): WeightTensor | undefined {
  let current = name;
  for (let hops = 0; hops < 32; hops++) {
    const init = index.initializers.get(current);
    if (init) return { dims: tensorDims(init), dataType: init.dataType ?? 0 };
    const p = index.producer.get(current);
    if (p === undefined) return undefined;
    const node = index.nodes[p];
    if (node.opType === 'Constant') {
      const t = attrTensor(node, 'value');
      return t ? { dims: tensorDims(t), dataType: t.dataType ?? 0 } : undefined;
    }
    if (node.opType !== 'Identity') return undefined;
    current = (node.input ?? [])[0] ?? '';
  }
  return undefined;
}

export function countNode(index: GraphIndex, node: INodeProto, tensors: Map<string, TensorInfo>): NodeCost {
  const outputShapes: number[][] = [];
  let outputBytes = 0;
  for (const name of node.output ?? []) {
    const t = name ? tensors.get(name) : undefined;
    outputShapes.push(t ? t.shape : []);
    if (t) outputBytes += elementCount(t.shape) * bytesPerElement(t.dtype);
  }
  const rule = !node.domain || node.domain === 'ai.onnx' ? ruleFor(node.opType ?? '') : undefined;
  const inputs = node.input ?? [];
  const weights = new Map<string, number>();
  if (rule?.hasWeights) {
    for (const name of inputs) {
      if (!name || weights.has(name)) continue;
      const source = weightSource(index, name);
      if (source && FLOATING.has(source.dataType)) weights.set(name, elementCount(source.dims));
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
    outputShapes,
    has: (i) => i < inputs.length && inputs[i] !== '',
  });
  return { ...cost, params, outputBytes, outputShapes, weights };
}
