// The detection head, found from structure: predictors are the last convolutions before the outputs; a
// level's head is what only that level's predictors read (stopping at merges); it splits into subnets
// where predictors sit on separate towers (cls = the one whose predictors feed a Sigmoid/Softmax, box = the
// others; see classSubnet).
import type { Structure } from './structure.ts';
import { convIdentity, dataReadersOf, isLinearLayer, isMerge, strideLog2 } from './structure.ts';

export interface HeadGrouping {
  /** Node index -> head group (head/P3/cls, head/P3/box, head/P3). */
  groups: Map<number, string>;
  /** Nodes after the predictors (reshape/concat/decode). */
  post: Set<number>;
  predictors: number[];
}

/** Ops below which a conv is not a dense predictor: more convs, or a classifier's pooling and FC layer. */
const NOT_A_HEAD_BELOW = new Set(['Conv', 'ConvTranspose', 'Gemm', 'GlobalAveragePool', 'GlobalMaxPool']);

/** Conv nodes with no conv (nor classifier pooling) below them: the layers that write the predictions. */
function findPredictors(s: Structure): number[] {
  const n = s.index.nodes.length;
  const blocked = new Array<boolean>(n).fill(false);
  for (let i = n - 1; i >= 0; i--) {
    if (!s.isData[i]) continue;
    blocked[i] = dataReadersOf(s, i).some((j) => NOT_A_HEAD_BELOW.has(s.index.nodes[j].opType ?? '') || blocked[j]);
  }
  return s.index.nodes.flatMap((node, i) => (s.isData[i] && isLinearLayer(node.opType ?? '') && !blocked[i] ? [i] : []));
}

function descendants(s: Structure, from: number[]): Set<number> {
  const seen = new Set<number>();
  const stack = [...from];
  while (stack.length > 0) {
    const i = stack.pop()!;
    for (const j of dataReadersOf(s, i)) {
      if (!seen.has(j)) {
        seen.add(j);
        stack.push(j);
      }
    }
  }
  return seen;
}

export function findHead(s: Structure): HeadGrouping {
  const predictors = findPredictors(s);
  const post = descendants(s, predictors);
  predictors.forEach((p) => post.delete(p));
  const groups = new Map<number, string>();
  if (!s.image || predictors.length === 0) return { groups, post, predictors };

  const levelOf = new Map<number, number>();
  for (const p of predictors) {
    const k = strideLog2(s, s.dataOutputs[p][0]);
    if (k !== undefined) levelOf.set(p, k);
  }

  // A node belongs to level L when every reader of its outputs does (reverse topological order).
  const level = new Map<number, number>(levelOf);
  const n = s.index.nodes.length;
  for (let i = n - 1; i >= 0; i--) {
    if (!s.isData[i] || level.has(i) || post.has(i) || isMerge(s, i)) continue;
    if (s.dataOutputs[i].some((t) => s.index.graphOutputs.has(t))) continue;
    const readers = dataReadersOf(s, i);
    if (readers.length === 0) continue;
    const l = level.get(readers[0]);
    if (l !== undefined && readers.every((j) => level.get(j) === l)) level.set(i, l);
  }

  // Per level: which of its predictors each node feeds; predictors fed by one tower form one subnet.
  const levels = [...new Set(levelOf.values())].sort((a, b) => a - b);
  const stems = new Map<number, number[]>();
  const subnetOf = new Map<number, string>();
  for (const l of levels) {
    const preds = predictors.filter((p) => levelOf.get(p) === l);
    const members = [...level.entries()].filter(([, v]) => v === l).map(([i]) => i).sort((a, b) => b - a);
    const reach = new Map<number, Set<number>>();
    for (const i of members) {
      const r = new Set<number>(preds.includes(i) ? [i] : []);
      for (const j of dataReadersOf(s, i)) reach.get(j)?.forEach((p) => r.add(p));
      reach.set(i, r);
    }
    const cluster = new Map(preds.map((p) => [p, p]));
    const find = (p: number): number => (cluster.get(p) === p ? p : find(cluster.get(p)!));
    for (const r of reach.values()) {
      if (r.size === preds.length) continue;
      const [first, ...rest] = [...r];
      rest.forEach((p) => cluster.set(find(p), find(first)));
    }
    const clusters = [...new Set(preds.map(find))];
    if (clusters.length < 2) {
      members.forEach((i) => subnetOf.set(i, `head/P${l}`));
      continue;
    }
    const clsRoot = classSubnet(s, clusters, preds, find);
    const stem: number[] = [];
    for (const i of members) {
      const roots = new Set([...reach.get(i)!].map(find));
      if (roots.size === 1) subnetOf.set(i, `head/P${l}/${[...roots][0] === clsRoot ? 'cls' : 'box'}`);
      else stem.push(i);
    }
    stems.set(l, stem);
  }
  keepCommonStems(s, stems).forEach((i) => subnetOf.set(i, `head/P${level.get(i)}`));
  for (const [i, g] of subnetOf) groups.set(i, g);
  return { groups, post, predictors };
}

/** Ops that only move a prediction's values around (a level's logits flattened, transposed, concatenated). */
const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Concat']);
const SCORE_OPS = new Set(['Sigmoid', 'Softmax', 'LogSoftmax']);

/**
 * What a predictor's output feeds, following only layout ops: a score activation (Sigmoid/Softmax: class
 * or objectness scores), other arithmetic (a box decode: Exp, Mul/Add with anchors, Slice...), or nothing
 * before the graph outputs (raw logits or raw box deltas).
 */
function predictorFeeds(s: Structure, p: number): 'score' | 'decode' | 'raw' {
  let sawDecode = false;
  const seen = new Set<number>();
  const stack = [p];
  while (stack.length > 0) {
    const i = stack.pop()!;
    for (const j of dataReadersOf(s, i)) {
      if (seen.has(j)) continue;
      seen.add(j);
      const op = s.index.nodes[j].opType ?? '';
      if (SCORE_OPS.has(op)) return 'score';
      if (LAYOUT_OPS.has(op)) stack.push(j);
      else sawDecode = true;
    }
  }
  return sawDecode ? 'decode' : 'raw';
}

/**
 * The class subnet among a level's clusters of predictors (cluster root -> its predictors). Decided by what
 * the predictors feed, as torchvision's and mmdet's heads apply a Sigmoid/Softmax to class logits and a
 * decode to box deltas: the one cluster whose predictors all feed a score activation (YOLOX's box tower also
 * has a sigmoid objectness, beside raw box deltas); else the one cluster feeding no decode when the others
 * do. Only where that cannot tell (raw logits everywhere) the widest predictor is taken, classes x anchors
 * being wider than 4 x anchors in every COCO head (not in a few-class head).
 */
function classSubnet(s: Structure, clusters: number[], preds: number[], find: (p: number) => number): number {
  const feeds = new Map(preds.map((p) => [p, predictorFeeds(s, p)]));
  const members = (c: number) => preds.filter((p) => find(p) === c);
  const scoring = clusters.filter((c) => members(c).every((p) => feeds.get(p) === 'score'));
  if (scoring.length === 1) return scoring[0];
  const undecoded = clusters.filter((c) => members(c).every((p) => feeds.get(p) !== 'decode'));
  if (scoring.length === 0 && undecoded.length === 1 && undecoded.length < clusters.length) return undecoded[0];
  const channels = (p: number) => s.tensors.get(s.dataOutputs[p][0])?.shape[1] ?? 0;
  const among = scoring.length > 1 ? preds.filter((p) => scoring.includes(find(p))) : preds;
  return find(among.reduce((best, p) => (channels(p) > channels(best) ? p : best), among[0]));
}

/**
 * What all levels' towers read before they split is head only where every level has such a stem (YOLOX's
 * 1x1 stem conv): in RetinaNet it is the FPN output conv, which P6 lacks. A stem is cut to the number of
 * convs the shortest one has, so that a neck conv that only one level reads (YOLOX's last PAN conv at P5)
 * stays in the neck.
 */
function keepCommonStems(s: Structure, stems: Map<number, number[]>): number[] {
  if (stems.size === 0) return [];
  const depth = new Map<number, number>();
  const convDepth = (l: number): number => {
    const members = new Set(stems.get(l)!);
    let max = 0;
    for (const i of [...members].sort((a, b) => b - a)) {
      // Convs strictly below i inside the stem; a variant's block chain counts as the one conv it replaced.
      const below = Math.max(0, ...dataReadersOf(s, i).filter((j) => members.has(j)).map((j) =>
        depth.get(j)! + (isLinearLayer(s.index.nodes[j].opType ?? '') && convIdentity(s, j) !== convIdentity(s, i) ? 1 : 0)));
      depth.set(i, below);
      if (isLinearLayer(s.index.nodes[i].opType ?? '')) max = Math.max(max, below + 1);
    }
    return max;
  };
  const counts = [...stems.keys()].map(convDepth);
  const common = Math.min(...counts);
  if (common === 0) return [];
  return [...stems.values()].flat().filter((i) => depth.get(i)! < common);
}
