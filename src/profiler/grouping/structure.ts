// The data-flow view grouping works on: which nodes carry activations (as opposed to shape arithmetic,
// constants and weight copies), who reads each activation, and the stride of each feature map.
import { findImageInput } from '../../onnx/image-input.ts';
import { readReplacedGroups, type ReplacedConv } from '../../onnx/replaced-groups.ts';
import type { GraphIndex } from '../graph.ts';
import { ruleFor } from '../ops/registry.ts';
import type { TensorInfo } from '../ops/rule.ts';

export interface Structure {
  index: GraphIndex;
  tensors: Map<string, TensorInfo>;
  /** Per node: whether it reads an activation and writes one (not shape arithmetic or weights). */
  isData: boolean[];
  dataInputs: string[][];
  dataOutputs: string[][];
  /** Activation tensor -> data nodes reading it. */
  readers: Map<string, number[]>;
  /** Node index -> the conv a variant replaced by it (and that conv's group), from the model's metadata. */
  replaced: Map<number, ReplacedConv>;
  /** Height and width of the image input, when it is 4-D. */
  image?: { h: number; w: number };
}

export function buildStructure(index: GraphIndex, tensors: Map<string, TensorInfo>): Structure {
  const dataTensors = new Set(index.dynamicInputs);
  const isData: boolean[] = [];
  const dataInputs: string[][] = [];
  const dataOutputs: string[][] = [];
  index.nodes.forEach((node, i) => {
    const ins = [...new Set((node.input ?? []).filter((n) => n && dataTensors.has(n)))];
    // Outputs whose values are known before run time are shape arithmetic, not activations.
    const outs = ins.length === 0 ? [] : (node.output ?? []).filter((n) => n && tensors.get(n)?.value === undefined);
    outs.forEach((o) => dataTensors.add(o));
    isData[i] = ins.length > 0 && outs.length > 0;
    dataInputs[i] = isData[i] ? ins : [];
    dataOutputs[i] = isData[i] ? outs : [];
  });
  const readers = new Map<string, number[]>();
  dataInputs.forEach((ins, i) => ins.forEach((t) => readers.set(t, [...(readers.get(t) ?? []), i])));
  const imageName = findImageInput(index.model)?.name;
  const inferred = imageName ? tensors.get(imageName)?.shape : undefined;
  const imageShape = inferred?.length === 4 ? inferred : undefined;
  const recorded = readReplacedGroups(index.model);
  const replaced = new Map<number, ReplacedConv>();
  if (recorded.size > 0) index.nodes.forEach((node, i) => node.name && recorded.has(node.name) && replaced.set(i, recorded.get(node.name)!));
  return {
    index, tensors, isData, dataInputs, dataOutputs, readers, replaced,
    image: imageShape ? { h: imageShape[2], w: imageShape[3] } : undefined,
  };
}

/** log2 of a feature map's stride against the image (3 for stride 8), from its height and width. */
export function strideLog2(s: Structure, tensor: string): number | undefined {
  const shape = s.tensors.get(tensor)?.shape;
  if (!s.image || !shape || shape.length < 3) return undefined;
  const h = shape[shape.length - 2];
  const w = shape[shape.length - 1];
  if (h <= 0 || w <= 0) return undefined;
  // Odd sizes round up at each stride-2 step (800 / 128 -> 7 rows), so average the two axes' ratios.
  return Math.round((Math.log2(s.image.h / h) + Math.log2(s.image.w / w)) / 2);
}

export function isLinearLayer(op: string): boolean {
  return op === 'Conv' || op === 'ConvTranspose';
}

/** The conv a node stands for: the one a variant replaced by it, else itself (so a block's chain is one). */
export function convIdentity(s: Structure, i: number): string {
  return s.replaced.get(i)?.replaces ?? `#${i}`;
}

/** An activation-like op: one activation in, same-shaped one out (Relu, Sigmoid, BatchNormalization...). */
function isPointwise(s: Structure, i: number): boolean {
  const family = ruleFor(s.index.nodes[i].opType ?? '')?.family;
  return s.dataInputs[i].length === 1 && (family === 'elementwise' || family === 'normalization');
}

/** The tensor an activation chain starts from: x for sigmoid(x), relu(bn(x)), x + 3, ... */
export function pointwiseRoot(s: Structure, tensor: string): string {
  let t = tensor;
  for (let hops = 0; hops < 16; hops++) {
    const p = s.index.producer.get(t);
    if (p === undefined || !s.isData[p] || !isPointwise(s, p)) return t;
    t = s.dataInputs[p][0];
  }
  return t;
}

/**
 * A node joining activations from different places (a residual Add, an FPN Add, a Concat). x * sigmoid(x)
 * (SiLU) and similar activations built from several ops read one place twice and are not merges.
 */
export function isMerge(s: Structure, i: number): boolean {
  if (s.dataInputs[i].length < 2) return false;
  return new Set(s.dataInputs[i].map((t) => pointwiseRoot(s, t))).size > 1;
}

/** Data nodes reading any output of node i. */
export function dataReadersOf(s: Structure, i: number): number[] {
  return [...new Set(s.dataOutputs[i].flatMap((t) => s.readers.get(t) ?? []))];
}
