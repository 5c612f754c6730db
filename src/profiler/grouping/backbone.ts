// Backbone and neck, from structure: the neck starts at the lateral conv of the deepest feature map that
// the top-down path upsamples (FPN, PAN); the backbone is everything that deepest map (C5) depends on,
// cut into stages where the trunk's resolution changes.
import type { Structure } from './structure.ts';
import { dataReadersOf, isLinearLayer, pointwiseRoot, strideLog2 } from './structure.ts';

const UPSAMPLERS = new Set(['Resize', 'Upsample', 'ConvTranspose']);
const POOLS = new Set(['MaxPool', 'AveragePool', 'LpPool']);

/** The deepest feature map the neck reads: the input of the lateral conv before the deepest upsampling. */
export function findDeepestFeature(s: Structure, candidates: Set<number>): string | undefined {
  let best: { tensor: string; stride: number } | undefined;
  for (const i of candidates) {
    const node = s.index.nodes[i];
    if (!UPSAMPLERS.has(node.opType ?? '')) continue;
    const input = s.dataInputs[i][0];
    const inStride = input ? strideLog2(s, input) : undefined;
    const outStride = strideLog2(s, s.dataOutputs[i][0]);
    if (inStride === undefined || outStride === undefined || outStride >= inStride) continue;
    if (!best || inStride > best.stride) best = { tensor: input, stride: inStride };
  }
  if (!best) return undefined;
  const root = pointwiseRoot(s, best.tensor);
  const p = s.index.producer.get(root);
  if (p !== undefined && isLinearLayer(s.index.nodes[p].opType ?? '') && s.dataInputs[p].length === 1) {
    return s.dataInputs[p][0];
  }
  return best.tensor;
}

/** Nodes (among `candidates`) that the tensor depends on, its producer included. */
export function ancestorsOf(s: Structure, tensor: string, candidates: Set<number>): Set<number> {
  const seen = new Set<number>();
  const stack = [tensor];
  while (stack.length > 0) {
    const p = s.index.producer.get(stack.pop()!);
    if (p === undefined || seen.has(p) || !candidates.has(p)) continue;
    seen.add(p);
    stack.push(...s.dataInputs[p]);
  }
  return seen;
}

/**
 * Stage names for backbone nodes: a node belongs to the stage of the next trunk tensor it feeds (a tensor
 * every path to C5 passes through); stride <= 2 is the stem, stride 2^(k+1) is stage k (ResNet layer1 =
 * stage1 at stride 4). A pooling op that lowers the resolution closes the stage before it (ResNet's maxpool
 * belongs to the stem).
 */
export function stageNames(s: Structure, backbone: Set<number>, c5: string): Map<number, string> {
  const order = [...backbone].sort((a, b) => a - b);
  const pending = new Map<string, number>();
  const trunk = new Set<string>();
  const open = (t: string) => {
    const n = (s.readers.get(t) ?? []).filter((j) => backbone.has(j)).length;
    if (n > 0 || t === c5) pending.set(t, n);
  };
  s.index.dynamicInputs.forEach(open);
  for (const i of order) {
    for (const t of s.dataInputs[i]) {
      const left = (pending.get(t) ?? 1) - 1;
      if (left <= 0 && t !== c5) pending.delete(t);
      else pending.set(t, left);
    }
    s.dataOutputs[i].forEach(open);
    if (pending.size === 1 && s.dataOutputs[i].includes([...pending.keys()][0])) trunk.add([...pending.keys()][0]);
  }
  const stride = new Map<number, number>();
  for (const i of [...order].reverse()) {
    const out = s.dataOutputs[i].find((t) => trunk.has(t));
    if (out !== undefined) {
      const k = strideLog2(s, out) ?? 0;
      const inK = s.dataInputs[i][0] ? (strideLog2(s, s.dataInputs[i][0]) ?? k) : k;
      stride.set(i, POOLS.has(s.index.nodes[i].opType ?? '') && k > inK ? inK : k);
      continue;
    }
    const next = dataReadersOf(s, i).filter((j) => stride.has(j)).sort((a, b) => a - b)[0];
    stride.set(i, next !== undefined ? stride.get(next)! : (strideLog2(s, s.dataOutputs[i][0]) ?? 0));
  }
  return new Map([...stride].map(([i, k]) => [i, k <= 1 ? 'backbone/stem' : `backbone/stage${k - 1}`]));
}
