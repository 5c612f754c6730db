// Which channels of a group to remove, and the refitted weights of the convs that read them.
// - 'greedy' (default): backward elimination by least error after refit (He et al. 2017's channel selection
//   with exact least squares instead of LASSO; ThiNet's greedy removal with the refit inside the criterion):
//   removing input features S of a consumer whose weights are refitted by least squares raises its residual
//   by tr(b_S^T (Ginv_SS)^-1 b_S), with b the current solution and Ginv the inverse Gram matrix (the classic
//   formula for dropping regressors); both are downdated after each removal. The increase is summed over the
//   group's consumers, each relative to its output variance.
// - 'l1': smallest L1 norm of the member convs' output filters (Li et al. 2017), the norm-only baseline.
import type { Model } from '../../onnx/proto.ts';
import { tensorToFloat32 } from '../../onnx/tensor.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import { solveSpd } from '../linalg.ts';
import type { ChannelAnalysis, ChannelGroup } from './channel-groups.ts';
import type { ConsumerStats } from './consumer-stats.ts';

export type ChoiceMethod = 'greedy' | 'l1';
export const CHOICE_METHODS: readonly ChoiceMethod[] = ['greedy', 'l1'];

/**
 * Relative ridge of the refit (times the mean diagonal). Smaller than fit-solve.ts's 1e-5: with the bias
 * feature dominating the diagonal, 1e-5 shrank well-determined weights by ~1e-4 (the synthetic exactness test).
 */
export const REFIT_RIDGE = 1e-7;

/** A consumer's refitted weights: rows = its kept input features (ascending) then the bias, columns = outputs. */
export interface Refit {
  features: number[];
  beta: Float64Array;
}

/** Input feature indices of group channel `c` in a consumer (every place the group appears in its input). */
export function featuresOf(analysis: ChannelAnalysis, s: ConsumerStats, group: number, c: number): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const r of s.layout) {
    if (analysis.groupOfRoot[r] === group) for (let t = 0; t < s.taps; t++) out.push((offset + c) * s.taps + t);
    offset += analysis.roots[r]!.channels;
  }
  return out;
}

/** Least-squares weights of a consumer on the given input features (the bias feature is added). */
export function refitConsumer(s: ConsumerStats, features: readonly number[]): Refit {
  const { dim, cout, xtx, xty } = s.stats;
  const f = [...features, dim - 1];
  const k = f.length;
  const a = new Float64Array(k * k);
  const b = new Float64Array(k * cout);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) a[i * k + j] = xtx[f[i]! * dim + f[j]!]!;
    b.set(xty.subarray(f[i]! * cout, (f[i]! + 1) * cout), i * cout);
  }
  return { features: [...features], beta: solveSpd(a, b, k, cout, REFIT_RIDGE) };
}

/** Output variance summed over a consumer's outputs (the scale its error is measured against). */
function outputVariance(s: ConsumerStats): number {
  const { dim, cout, xty, yty, samples } = s.stats;
  let mean2 = 0;
  for (let o = 0; o < cout; o++) mean2 += xty[(dim - 1) * cout + o]! ** 2;
  return Math.max(yty - mean2 / Math.max(samples, 1), 1e-12);
}

class ConsumerState {
  readonly n: number;
  readonly m: number;
  readonly ginv: Float64Array;
  readonly beta: Float64Array;
  readonly active: Uint8Array;
  readonly scale: number;
  constructor(readonly s: ConsumerStats) {
    const { dim, cout, xtx, xty } = s.stats;
    this.n = dim;
    this.m = cout;
    const eye = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++) eye[i * dim + i] = 1;
    this.ginv = solveSpd(xtx, eye, dim, dim, REFIT_RIDGE);
    this.beta = new Float64Array(dim * cout);
    for (let i = 0; i < dim; i++) for (let p = 0; p < dim; p++) {
      const v = this.ginv[i * dim + p]!;
      if (v === 0) continue;
      for (let o = 0; o < cout; o++) this.beta[i * cout + o]! += v * xty[p * cout + o]!;
    }
    this.active = new Uint8Array(dim).fill(1);
    this.scale = outputVariance(s);
  }

  /** M = (Ginv_SS)^-1 (s x s). */
  private blockInverse(set: readonly number[]): Float64Array {
    const k = set.length;
    const a = new Float64Array(k * k);
    const eye = new Float64Array(k * k);
    set.forEach((i, x) => { eye[x * k + x] = 1; set.forEach((j, y) => (a[x * k + y] = this.ginv[i * this.n + j]!)); });
    return solveSpd(a, eye, k, k, 1e-12);
  }

  /** Residual increase (relative to the output variance) when features `set` are dropped. */
  cost(set: readonly number[]): number {
    const { m } = this;
    if (set.length === 1) {
      const i = set[0]!;
      let s = 0;
      for (let o = 0; o < m; o++) s += this.beta[i * m + o]! ** 2;
      return s / Math.max(this.ginv[i * this.n + i]!, 1e-300) / this.scale;
    }
    const inv = this.blockInverse(set);
    const k = set.length;
    let total = 0;
    for (let o = 0; o < m; o++) {
      for (let x = 0; x < k; x++) for (let y = 0; y < k; y++) total += this.beta[set[x]! * m + o]! * inv[x * k + y]! * this.beta[set[y]! * m + o]!;
    }
    return total / this.scale;
  }

  remove(set: readonly number[]): void {
    const { n, m } = this;
    const k = set.length;
    const inv = this.blockInverse(set);
    const act: number[] = [];
    for (let i = 0; i < n; i++) if (this.active[i]) act.push(i);
    // Q = Ginv[:, S] M  (n x k)
    const q = new Float64Array(n * k);
    for (const i of act) for (let x = 0; x < k; x++) {
      let v = 0;
      for (let y = 0; y < k; y++) v += this.ginv[i * n + set[y]!]! * inv[y * k + x]!;
      q[i * k + x] = v;
    }
    const bs = set.map((i) => this.beta.slice(i * m, (i + 1) * m));
    const gs = set.map((j) => act.map((p) => this.ginv[p * n + j]!));
    for (const i of act) {
      for (let x = 0; x < k; x++) {
        const qx = q[i * k + x]!;
        if (qx === 0) continue;
        const row = i * n;
        const g = gs[x]!;
        for (let b = 0; b < act.length; b++) this.ginv[row + act[b]!]! -= qx * g[b]!;
        const bx = bs[x]!;
        for (let o = 0; o < m; o++) this.beta[i * m + o]! -= qx * bx[o]!;
      }
    }
    for (const i of set) {
      this.active[i] = 0;
      for (let p = 0; p < n; p++) { this.ginv[i * n + p] = 0; this.ginv[p * n + i] = 0; }
      this.beta.fill(0, i * m, (i + 1) * m);
    }
  }

  snapshot(): Refit {
    const features: number[] = [];
    for (let i = 0; i < this.n - 1; i++) if (this.active[i]) features.push(i);
    const rows = [...features, this.n - 1];
    const beta = new Float64Array(rows.length * this.m);
    rows.forEach((r, x) => beta.set(this.beta.subarray(r * this.m, (r + 1) * this.m), x * this.m));
    return { features, beta };
  }
}

export interface Elimination {
  /** Group channels in the order they are removed (the first `count` removed leave the rest). */
  order: number[];
  /** Refitted consumers after removing the first `count` channels, for each requested count. */
  refits: Map<number, Map<string, Refit>>;
}

/** L1 norm of each output channel of the group, summed over its member convs. */
export function l1Norms(model: Model, group: ChannelGroup): number[] {
  const editor = new GraphEditor(model);
  const norms = new Array<number>(group.channels).fill(0);
  for (const member of group.members) {
    const node = model.graph.node.find((n) => n.name === member)!;
    const w = tensorToFloat32(editor.resolveInitializer(node.input![1]!)!);
    const per = w.length / group.channels;
    for (let c = 0; c < group.channels; c++) for (let i = 0; i < per; i++) norms[c]! += Math.abs(w[c * per + i]!);
  }
  return norms;
}

/**
 * Removal order of a group's channels up to max(counts), and the consumers' refits at each count. With
 * 'l1' the order is by norm and the refits are plain least squares on what is left.
 */
export function eliminate(model: Model, analysis: ChannelAnalysis, group: ChannelGroup, stats: Map<string, ConsumerStats>, counts: readonly number[], method: ChoiceMethod): Elimination {
  const consumers = group.consumers.map((c) => stats.get(c)!).filter((s) => s !== undefined);
  const max = Math.max(0, ...counts);
  const refits = new Map<number, Map<string, Refit>>();
  const wanted = new Set(counts);
  if (method === 'l1') {
    const norms = l1Norms(model, group);
    const order = norms.map((v, c) => [v, c] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, c]) => c).slice(0, max);
    for (const count of wanted) {
      const removed = new Set(order.slice(0, count));
      const map = new Map<string, Refit>();
      for (const s of consumers) {
        const drop = new Set([...removed].flatMap((c) => featuresOf(analysis, s, group.id, c)));
        map.set(s.node, refitConsumer(s, Array.from({ length: s.stats.dim - 1 }, (_, i) => i).filter((i) => !drop.has(i))));
      }
      refits.set(count, map);
    }
    return { order, refits };
  }
  const states = consumers.map((s) => new ConsumerState(s));
  const features = states.map((st) => Array.from({ length: group.channels }, (_, c) => featuresOf(analysis, st.s, group.id, c)));
  const left = new Set(Array.from({ length: group.channels }, (_, c) => c));
  const order: number[] = [];
  const snap = () => new Map(states.map((st) => [st.s.node, st.snapshot()]));
  if (wanted.has(0)) refits.set(0, snap());
  while (order.length < max) {
    let best = -1;
    let bestCost = Infinity;
    for (const c of left) {
      let cost = 0;
      states.forEach((st, k) => (cost += st.cost(features[k]![c]!)));
      if (cost < bestCost) { bestCost = cost; best = c; }
    }
    states.forEach((st, k) => st.remove(features[k]![best]!));
    left.delete(best);
    order.push(best);
    if (wanted.has(order.length)) refits.set(order.length, snap());
  }
  return { order, refits };
}
