// Coupled channels of an ONNX graph, as Torch-Pruning's DependencyGraph finds them (torch_pruning/dependency.py):
// removing output channel c of a conv also removes channel c wherever that tensor flows unchanged
// (activations, pooling, Resize, BatchNorm, the depthwise conv that follows), at its offset inside every
// channel Concat (YOLOX's SPP concatenates the same channels four times), and from every conv that reads it;
// a residual Add or SiLU's Mul ties the channels of its two inputs together. Channels are only prunable as a
// whole group. Anything whose channel layout we do not rewrite pins the channels it reads: shuffles
// (Reshape/Transpose), Slice/Split, graph outputs, grouped (non-depthwise) convs, convs sharing a weight.
//
// Every tensor with a channel axis gets a layout: the list of "roots" its channels come from, in order. A
// root is one conv's output channels (prunable) or an opaque source (graph input, pinned op: never prunable).
import { attrInt } from '../../onnx/attributes.ts';
import type { INodeProto, Model } from '../../onnx/proto.ts';
import { tensorDims } from '../../onnx/tensor.ts';
import { inferShapes } from '../../profiler/index.ts';

/** Ops whose output channel c depends only on input channel c (the first input). */
const PASS_THROUGH = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Clip', 'Identity', 'Dropout', 'Elu', 'Selu',
  'MaxPool', 'AveragePool', 'Resize', 'Upsample', 'BatchNormalization',
]);
/** Elementwise binary ops: same channel on both inputs (broadcast per-tensor constants allowed). */
const ELEMENTWISE = new Set(['Add', 'Mul', 'Sub', 'Div']);

export interface Root {
  id: number;
  channels: number;
  /** The conv node whose output channels these are; undefined for an opaque source. */
  conv?: string;
}

/** A node whose input channels follow a layout (a consumer conv, a depthwise conv, a BatchNorm). */
export interface LayoutUse {
  node: string;
  /** Root ids of the input's channels, in order. */
  layout: number[];
}

export interface ChannelGroup {
  id: number;
  channels: number;
  /** Root ids in the group (their channels are pruned identically). */
  roots: number[];
  /** Conv nodes whose output channels are the group's. */
  members: string[];
  /** Nodes reading the group's channels per channel (depthwise convs, BatchNorm): sliced with it. */
  followers: string[];
  /** Convs (group 1) reading the group's channels: input channels sliced, weights refitted. */
  consumers: string[];
}

export interface ChannelAnalysis {
  roots: Root[];
  /** Union-find representative of each root (roots in one group share it). */
  groupOf: number[];
  pinned: boolean[];
  /** Channel layout of every tensor with one (4-D maps). */
  layouts: Map<string, number[]>;
  /** Conv (group 1) consumers with their input layout. */
  consumers: LayoutUse[];
  /** Depthwise convs and BatchNorms with their input (= output) layout. */
  followers: LayoutUse[];
  groups: ChannelGroup[];
  /** The prunable group of each root (undefined for pinned roots). */
  groupOfRoot: (number | undefined)[];
}

class UnionFind {
  parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    while (this.parent[x] !== x) x = this.parent[x] = this.parent[this.parent[x]!]!;
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

export function isDepthwise(weightDims: readonly number[], group: number): boolean {
  return group > 1 && weightDims[1] === 1 && weightDims[0] === group;
}

/** Finds the coupled channel groups of `model` (shapes inferred for `inputShapes`, as the profiler does). */
export function analyzeChannels(model: Model, inputShapes: Record<string, number[]> = {}): ChannelAnalysis {
  const g = model.graph;
  const shapes = inferShapes(model, inputShapes);
  const initializers = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const roots: Root[] = [];
  const uf = new UnionFind();
  const pinnedRaw: boolean[] = [];
  const layouts = new Map<string, number[]>();
  const consumers: LayoutUse[] = [];
  const followers: LayoutUse[] = [];

  const newRoot = (channels: number, conv?: string, pinned = false): number => {
    const id = uf.add();
    roots.push({ id, channels, conv });
    pinnedRaw.push(pinned);
    return id;
  };
  const pin = (layout: number[] | undefined): void => layout?.forEach((r) => (pinnedRaw[r] = true));
  const channelsOf = (layout: number[]): number => layout.reduce((a, r) => a + roots[r]!.channels, 0);
  /** The layout of a tensor; an opaque pinned root for a 4-D tensor nothing analysed produced. */
  const layoutOf = (tensor: string): number[] | undefined => {
    const known = layouts.get(tensor);
    if (known) return known;
    const shape = shapes.get(tensor);
    if (!shape || shape.length !== 4 || initializers.has(tensor)) return undefined;
    const opaque = [newRoot(shape[1]!, undefined, true)];
    layouts.set(tensor, opaque);
    return opaque;
  };

  // Weights read by more than one node: their channels cannot be sliced for one reader alone.
  const weightReaders = new Map<string, number>();
  for (const n of g.node) if (n.opType === 'Conv' && n.input?.[1]) weightReaders.set(n.input[1], (weightReaders.get(n.input[1]) ?? 0) + 1);

  for (const node of g.node) {
    const op = node.opType ?? '';
    const inputs = (node.input ?? []).filter((i) => i !== '');
    const out = node.output?.[0] ?? '';
    if (op === 'Conv') {
      visitConv(node);
    } else if (PASS_THROUGH.has(op)) {
      const layout = layoutOf(inputs[0] ?? '');
      if (layout) layouts.set(out, layout);
      if (layout && op === 'BatchNormalization') followers.push({ node: node.name ?? '', layout });
    } else if (ELEMENTWISE.has(op) && inputs.length === 2) {
      visitElementwise(node, inputs[0]!, inputs[1]!);
    } else if (op === 'Concat' && isChannelAxis(attrInt(node, 'axis', 0), shapes.get(out))) {
      const parts = inputs.map(layoutOf);
      if (parts.every((p) => p !== undefined)) layouts.set(out, parts.flat() as number[]);
      else parts.forEach(pin);
    } else {
      // Shuffles, slices, splits, reductions, anything else: their channel order is not ours to rewrite.
      inputs.forEach((i) => pin(layouts.get(i)));
    }
  }
  for (const o of g.output) pin(layouts.get(o.name ?? ''));

  function visitConv(node: INodeProto): void {
    const [input = '', weight = ''] = node.input ?? [];
    const out = node.output?.[0] ?? '';
    const w = initializers.get(weight);
    const inLayout = layoutOf(input);
    const group = attrInt(node, 'group', 1);
    if (!w) {
      pin(inLayout);
      layouts.set(out, [newRoot(shapes.get(out)?.[1] ?? 0, undefined, true)]);
      return;
    }
    const dims = tensorDims(w);
    const shared = (weightReaders.get(weight) ?? 0) > 1;
    if (isDepthwise(dims, group) && inLayout && channelsOf(inLayout) === group && !shared) {
      followers.push({ node: node.name ?? '', layout: inLayout });
      layouts.set(out, inLayout);
      return;
    }
    if (group === 1 && inLayout && !shared) consumers.push({ node: node.name ?? '', layout: inLayout });
    else pin(inLayout);
    layouts.set(out, [newRoot(dims[0]!, node.name ?? '', group !== 1 || shared)]);
  }

  function visitElementwise(node: INodeProto, a: string, b: string): void {
    const out = node.output?.[0] ?? '';
    const la = layoutOf(a);
    const lb = layoutOf(b);
    const bShape = shapes.get(b);
    const aShape = shapes.get(a);
    const broadcastsPerTensor = (shape: number[] | undefined) => !shape || shape.length < 3 || shape[shape.length - 3] === 1;
    if (la && lb) {
      // Residual Add / SiLU's Mul: channel c of a meets channel c of b. Only whole roots at the same place
      // can be tied together (pieces at other offsets would tie a channel to a different one).
      if (la.length === lb.length && la.every((r, i) => roots[r]!.channels === roots[lb[i]!]!.channels)) {
        la.forEach((r, i) => uf.union(r, lb[i]!));
      } else {
        pin(la);
        pin(lb);
      }
      layouts.set(out, la);
    } else if (la && (initializers.has(b) || broadcastsPerTensor(bShape)) && broadcastsPerTensor(bShape)) {
      layouts.set(out, la);
    } else if (lb && broadcastsPerTensor(aShape)) {
      layouts.set(out, lb);
    } else {
      pin(la);
      pin(lb);
    }
  }

  // Groups: union-find classes with no pinned root.
  const groupOf = roots.map((r) => uf.find(r.id));
  const pinned = roots.map(() => false);
  roots.forEach((r) => { if (pinnedRaw[r.id]) pinned[groupOf[r.id]!] = true; });
  roots.forEach((r) => (pinned[r.id] = pinned[groupOf[r.id]!]!));
  const byRep = new Map<number, ChannelGroup>();
  for (const r of roots) {
    if (pinned[r.id] || !r.conv) continue;
    const rep = groupOf[r.id]!;
    let group = byRep.get(rep);
    if (!group) {
      group = { id: byRep.size, channels: r.channels, roots: [], members: [], followers: [], consumers: [] };
      byRep.set(rep, group);
    }
    group.roots.push(r.id);
    group.members.push(r.conv);
  }
  for (const [rep, group] of byRep) {
    for (const f of followers) if (f.layout.some((r) => groupOf[r] === rep) && !group.followers.includes(f.node)) group.followers.push(f.node);
    for (const c of consumers) if (c.layout.some((r) => groupOf[r] === rep) && !group.consumers.includes(c.node)) group.consumers.push(c.node);
  }
  const groupOfRoot = roots.map((r) => byRep.get(groupOf[r.id]!)?.id);
  return { roots, groupOf, pinned, layouts, consumers, followers, groups: [...byRep.values()], groupOfRoot };
}

function isChannelAxis(axis: number, shape: number[] | undefined): boolean {
  return shape?.length === 4 && (axis === 1 || axis === -3);
}
