// Rewrites a model for a pruning plan: the member convs of each pruned group lose output channels, the
// depthwise convs and BatchNorms that follow lose the same channels, the convs reading them lose input
// channels. Each sliced weight becomes a fresh initializer (so a name shared elsewhere is never changed), and
// the MACs of a plan are predicted from the profiler's per-node counts (checked against a fresh profile).
import { attrInt } from '../../onnx/attributes.ts';
import type { INodeProto, Model } from '../../onnx/proto.ts';
import { float32Tensor, tensorDims, tensorToFloat32 } from '../../onnx/tensor.ts';
import type { Profile } from '../../profiler/index.ts';
import { GraphEditor, intAttr } from '../../onnx/graph-edit.ts';
import { cloneModel } from '../../onnx/model-io.ts';
import type { ChannelAnalysis } from './channel-groups.ts';

/** Kept channel indices (ascending) per pruned group id; groups not listed keep everything. */
export type PrunePlan = Map<number, number[]>;

/** Names of the initializers a pruned conv now reads (for refitting). */
export interface PrunedConv {
  node: string;
  weight: string;
  bias: string;
  dims: [number, number, number, number];
  /** Kept output / input channel indices of the original conv. */
  keptOut: number[];
  keptIn: number[];
}

export interface PruneResult {
  model: Model;
  convs: Map<string, PrunedConv>;
}

/** Kept channel indices of a tensor whose channels follow `layout`. */
export function keptIndices(analysis: ChannelAnalysis, layout: readonly number[], plan: PrunePlan): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const r of layout) {
    const g = analysis.groupOfRoot[r];
    const keep = g === undefined ? undefined : plan.get(g);
    const n = analysis.roots[r]!.channels;
    if (keep) for (const k of keep) out.push(offset + k);
    else for (let k = 0; k < n; k++) out.push(offset + k);
    offset += n;
  }
  return out;
}

function fraction(analysis: ChannelAnalysis, layout: readonly number[] | undefined, plan: PrunePlan): number {
  if (!layout) return 1;
  const total = layout.reduce((a, r) => a + analysis.roots[r]!.channels, 0);
  return total > 0 ? keptIndices(analysis, layout, plan).length / total : 1;
}

/** Slices a weight [d0, d1, ...] along axes 0 and 1. */
function slice01(w: Float32Array, dims: readonly number[], keep0: readonly number[], keep1: readonly number[]): Float32Array {
  const inner = dims.slice(2).reduce((a, b) => a * b, 1);
  const d1 = dims[1]!;
  const out = new Float32Array(keep0.length * keep1.length * inner);
  let p = 0;
  for (const o of keep0) for (const i of keep1) {
    const src = (o * d1 + i) * inner;
    out.set(w.subarray(src, src + inner), p);
    p += inner;
  }
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The pruned model (a copy); `plan` empty gives an equivalent model. */
export function applyPlan(model: Model, analysis: ChannelAnalysis, plan: PrunePlan): PruneResult {
  const editor = new GraphEditor(cloneModel(model));
  const consumerLayout = new Map(analysis.consumers.map((c) => [c.node, c.layout]));
  const followerLayout = new Map(analysis.followers.map((f) => [f.node, f.layout]));
  const convs = new Map<string, PrunedConv>();
  const sliced = (base: string, dims: number[], values: Float32Array): string => {
    const name = editor.uniqueName(base);
    editor.addInitializer(float32Tensor(name, dims, values));
    return name;
  };
  for (const node of [...editor.model.graph.node]) {
    const name = node.name ?? '';
    const fLayout = followerLayout.get(name);
    if (node.opType === 'Conv') {
      const [input = '', wName = '', bName] = node.input ?? [];
      const wTensor = editor.resolveInitializer(wName);
      if (!wTensor) continue;
      const dims = tensorDims(wTensor);
      const w = tensorToFloat32(wTensor);
      const bTensor = bName ? editor.resolveInitializer(bName) : undefined;
      const b = bTensor ? tensorToFloat32(bTensor) : new Float32Array(dims[0]!);
      let keptOut: number[];
      let keptIn: number[];
      if (fLayout) {
        keptOut = keptIndices(analysis, fLayout, plan);
        keptIn = [0];
        if (keptOut.length !== dims[0]) setAttr(node, 'group', keptOut.length);
      } else {
        const outLayout = analysis.layouts.get(node.output?.[0] ?? '');
        const g = outLayout && outLayout.length === 1 ? analysis.groupOfRoot[outLayout[0]!] : undefined;
        keptOut = (g !== undefined ? plan.get(g) : undefined) ?? range(dims[0]!);
        const inLayout = consumerLayout.get(name);
        keptIn = inLayout ? keptIndices(analysis, inLayout, plan) : range(dims[1]!);
      }
      if (keptOut.length === dims[0] && keptIn.length === dims[1]) continue;
      const newDims: [number, number, number, number] = [keptOut.length, keptIn.length, dims[2] ?? 1, dims[3] ?? 1];
      const weight = sliced(`${name}/pruned.weight`, newDims, slice01(w, dims, keptOut, keptIn));
      const bias = sliced(`${name}/pruned.bias`, [keptOut.length], Float32Array.from(keptOut, (o) => b[o]!));
      node.input = [input, weight, bias];
      convs.set(name, { node: name, weight, bias, dims: newDims, keptOut, keptIn });
    } else if (node.opType === 'BatchNormalization' && fLayout) {
      const kept = keptIndices(analysis, fLayout, plan);
      node.input = (node.input ?? []).map((t, i) => {
        if (i === 0) return t;
        const tensor = editor.resolveInitializer(t);
        if (!tensor) throw new Error(`BatchNormalization ${name}: parameter ${t} is not a constant`);
        const v = tensorToFloat32(tensor);
        return sliced(`${name}/pruned.${i}`, [kept.length], Float32Array.from(kept, (k) => v[k]!));
      });
    }
  }
  // Declared shapes of intermediate tensors are stale now (replaced weights listed as graph inputs, as old
  // exporters do, go with their initializers in removeDead).
  if (convs.size > 0) editor.model.graph.valueInfo = [];
  editor.removeDead();
  return { model: editor.model, convs };
}

function setAttr(node: INodeProto, name: string, value: number): void {
  node.attribute = [...(node.attribute ?? []).filter((a) => a.name !== name), intAttr(name, value)];
}

/**
 * MACs of the pruned model, from the original's profile: each node's count scales with the kept fraction
 * of the channels it reads and writes (convs: output x input; depthwise convs and per-channel ops: output).
 */
export function planMacs(analysis: ChannelAnalysis, profile: Profile, model: Model, plan: PrunePlan): number {
  const consumerLayout = new Map(analysis.consumers.map((c) => [c.node, c.layout]));
  const followerLayout = new Map(analysis.followers.map((f) => [f.node, f.layout]));
  const byName = new Map(model.graph.node.map((n) => [n.name ?? '', n]));
  let total = 0;
  for (const n of profile.nodes) {
    if (n.macs === 0) continue;
    const node = byName.get(n.name);
    const outLayout = analysis.layouts.get(n.outputs[0] ?? '');
    let factor: number;
    if (node?.opType === 'Conv' && !followerLayout.has(n.name)) {
      factor = fraction(analysis, outLayout, plan) * fraction(analysis, consumerLayout.get(n.name), plan);
      if (attrInt(node, 'group', 1) !== 1) factor = 1;
    } else {
      factor = fraction(analysis, outLayout, plan);
    }
    total += n.macs * factor;
  }
  return total;
}
