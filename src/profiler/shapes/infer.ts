// Shape inference over the whole graph, in topological order, with constant folding of the shape
// subgraphs exporters emit. Each op's rule lives in the registry (src/profiler/ops).
import { InputError } from '../../errors.ts';
import { DataType, type INodeProto } from '../../onnx/proto.ts';
import { tensorDims, tensorToNumbers, elementCount } from '../../onnx/tensor.ts';
import type { GraphIndex } from '../graph.ts';
import { elemType } from '../inputs.ts';
import { ruleFor } from '../ops/registry.ts';
import { MAX_FOLDED, ShapeError, type ShapeContext, type TensorInfo } from '../ops/rule.ts';

export interface ShapeInference {
  tensors: Map<string, TensorInfo>;
  warnings: string[];
}

/** A ShapeError caused by an input that an earlier node already failed to shape (reported once, there). */
class UpstreamUnknown extends ShapeError {}

export function nodeLabel(node: INodeProto): string {
  return `${node.name || (node.output ?? [])[0] || '?'} (${node.opType})`;
}

function isDefaultDomain(node: INodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

function contextFor(node: INodeProto, opset: number, tensors: Map<string, TensorInfo>): ShapeContext {
  const names = node.input ?? [];
  const has = (i: number) => i < names.length && names[i] !== '';
  const input = (i: number): TensorInfo => {
    if (!has(i)) throw new ShapeError(`input ${i} is missing`);
    const t = tensors.get(names[i]);
    if (!t) throw new UpstreamUnknown(`input ${names[i]} has no known shape`);
    return t;
  };
  return {
    node,
    opset,
    inputNames: names,
    has,
    input,
    shape: (i) => input(i).shape,
    dtype: (i) => input(i).dtype,
    value: (i) => (has(i) ? tensors.get(names[i])?.value : undefined),
    requireValue(i, what) {
      const v = input(i).value;
      if (!v) throw new ShapeError(`${what} (input ${names[i]}) is not known before run time`);
      return v;
    },
  };
}

export function runShapeInference(index: GraphIndex, inputShapes: Map<string, number[]>, strict = false): ShapeInference {
  const tensors = new Map<string, TensorInfo>();
  const warnings: string[] = [];
  const infos = new Map(index.model.graph.input.map((i) => [i.name ?? '', i]));
  for (const [name, shape] of inputShapes) tensors.set(name, { shape, dtype: elemType(infos.get(name)) });
  for (const [name, t] of index.initializers) {
    const shape = tensorDims(t);
    const dtype = t.dataType ?? 1;
    // String tensors have no numeric reading; they never take part in shape arithmetic.
    const foldable = elementCount(shape) <= MAX_FOLDED && dtype !== DataType.STRING;
    tensors.set(name, { shape, dtype, value: foldable ? tensorToNumbers(t) : undefined });
  }

  const unknownOps = new Map<string, number>();
  let downstream = 0;
  for (const node of index.nodes) {
    const op = node.opType ?? '';
    const rule = isDefaultDomain(node) ? ruleFor(op) : undefined;
    const label = node.domain && !isDefaultDomain(node) ? `${node.domain}.${op}` : op;
    if (!rule) {
      if (strict) throw new InputError(`node ${nodeLabel(node)}: op ${label} has no shape/count rule (--strict)`);
      unknownOps.set(label, (unknownOps.get(label) ?? 0) + 1);
      continue;
    }
    try {
      const outs = rule.infer(contextFor(node, index.opset, tensors));
      const names = node.output ?? [];
      const inputDtype = (node.input ?? [])[0] ? tensors.get((node.input ?? [])[0])?.dtype : undefined;
      names.forEach((name, i) => {
        const out = outs[i];
        if (!name || !out) return;
        if (out.shape.some((d) => !Number.isFinite(d) || d < 0)) throw new ShapeError(`inferred an invalid shape [${out.shape}]`);
        tensors.set(name, { shape: out.shape, dtype: out.dtype ?? inputDtype ?? 1, value: out.value });
      });
    } catch (err) {
      if (err instanceof UpstreamUnknown) {
        downstream++;
        continue;
      }
      // A rule tripping over an unusual node (not only a ShapeError) must not sink the whole profile.
      const why = err instanceof Error ? err.message : String(err);
      if (strict) throw new InputError(`node ${nodeLabel(node)}: ${why}`);
      warnings.push(`node ${nodeLabel(node)}: cannot infer its output shape: ${why}`);
    }
  }
  for (const [op, n] of unknownOps) warnings.push(`unknown op ${op} (${n} node${n > 1 ? 's' : ''}): counted as 0, outputs left unshaped`);
  if (downstream > 0) warnings.push(`${downstream} node(s) downstream of the above left without shapes`);
  return { tensors, warnings };
}
