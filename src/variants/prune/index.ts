// Channel pruning under a MACs budget: coupled groups (channel-groups.ts), per-group sensitivity
// (sensitivity.ts), levels allocated by DP (allocate.ts), channels chosen by least error after refit
// (channel-choice.ts), the plan applied (apply.ts) and the readers of pruned channels refitted on the
// already-pruned model (reconstruct.ts).
import type { Model } from '../../onnx/proto.ts';
import { profileModel } from '../../profiler/index.ts';
import type { FamilyName } from '../../detection/families/index.ts';
import type { CalibrationImage } from '../calibration.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import { allocate } from './allocate.ts';
import { applyPlan, planMacs, type PrunePlan } from './apply.ts';
import { analyzeChannels, type ChannelAnalysis } from './channel-groups.ts';
import { eliminate, type ChoiceMethod, type Elimination } from './channel-choice.ts';
import { consumerStats } from './consumer-stats.ts';
import { reconstruct, type ReconstructTarget } from './reconstruct.ts';
import { measureSensitivity, outputError, runOutputs, type GroupSensitivity } from './sensitivity.ts';

export type Allocation = 'sensitivity' | 'uniform';
export const ALLOCATIONS: readonly Allocation[] = ['sensitivity', 'uniform'];
/**
 * Per-group levels from measured sensitivity by default: at --flops 0.8 on coco206 with 305 refit images they
 * gave YOLOX-Nano 22.1 AP against 14.0 for one uniform ratio, while on NanoDet-m the uniform ratio was ahead by
 * less (18.8 vs 17.8 AP).
 */
export const DEFAULT_ALLOCATION: Allocation = 'sensitivity';
export const DEFAULT_RATIOS = [0.125, 0.25, 0.375, 0.5, 0.625, 0.75];
/**
 * The refit's images by default: coco/calib + coco/unlabeled (305; calibration.ts listTrainingImages). Fewer
 * overfit: NanoDet-m at --flops 0.8, uniform ratio, on coco206: 24 images 15.9 AP (output error 0.14 on them vs
 * 0.33 held out), 96 images 17.5 AP, 305 images 18.8 AP.
 */
export const DEFAULT_PRUNE_IMAGES_DIR = ['coco'] as const;

export interface PruneOptions {
  family: FamilyName;
  /** Fraction of the original MACs to keep (0.8). */
  flops: number;
  ratios?: readonly number[];
  choice: ChoiceMethod;
  allocation: Allocation;
  /** Refit the convs reading pruned channels (else the plain sliced weights: norm-only pruning). */
  refit: boolean;
  /** Calibration images: statistics, refit and the final error. */
  images: CalibrationImage[];
  /** How many of them measure sensitivity (the first ones). */
  sensitivityImages?: number;
  inputShapes?: Record<string, number[]>;
  threads?: number;
  log?: (line: string) => void;
}

export interface PlanRow {
  group: number;
  members: string[];
  kept: number;
  total: number;
  /** MACs this group's cut removes when it alone is pruned. */
  macsRemoved: number;
  /** Its measured sensitivity error at this level (undefined for uniform plans). */
  error?: number;
}

export interface PruneOutcome {
  model: Model;
  rows: PlanRow[];
  macsBefore: number;
  macsAfter: number;
  /** Output error of the final model on the calibration images. */
  error: { score: number; box: number; total: number };
  seconds: { stats: number; sensitivity: number; reconstruct: number };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function planFromCounts(analysis: ChannelAnalysis, counts: Map<number, number>, orders: Map<number, number[]>): PrunePlan {
  const plan: PrunePlan = new Map();
  for (const [g, n] of counts) {
    if (n <= 0) continue;
    const removed = new Set(orders.get(g)!.slice(0, n));
    plan.set(g, range(analysis.groups[g]!.channels).filter((c) => !removed.has(c)));
  }
  return plan;
}

export async function prune(model: Model, options: PruneOptions): Promise<PruneOutcome> {
  const log = options.log ?? (() => {});
  const threads = options.threads ?? 1;
  const ratios = options.ratios ?? DEFAULT_RATIOS;
  const clock = () => performance.now() / 1000;
  const analysis = analyzeChannels(model, options.inputShapes);
  const profile = profileModel(model, { inputShapes: options.inputShapes });
  const before = profile.totals.macs;
  const target = options.flops * before;
  const macsOf = (counts: Map<number, number>, orders: Map<number, number[]>) => planMacs(analysis, profile, model, planFromCounts(analysis, counts, orders));
  log(`${analysis.groups.length} prunable channel groups; ${(before / 1e6).toFixed(1)} M MACs, target ${(target / 1e6).toFixed(1)} M`);

  let t0 = clock();
  const stats = await consumerStats(model, analysis, options.images, 256, threads);
  const statsSeconds = clock() - t0;
  t0 = clock();
  const counts = new Map<number, number>();
  const orders = new Map<number, number[]>();
  const errorAt = new Map<number, number>();
  let sens: GroupSensitivity[] = [];
  if (options.allocation === 'sensitivity') {
    const sensImages = options.images.slice(0, options.sensitivityImages ?? 8);
    sens = await measureSensitivity(model, analysis, stats, sensImages, {
      family: options.family, ratios, method: options.choice, refit: options.refit, threads,
      onProgress: (d, n) => log(`sensitivity ${d}/${n}`),
    });
    for (const s of sens) orders.set(s.group, s.elimination.order);
    const groups = sens.map((s) => ({
      saved: [0, ...s.counts.map((c) => before - macsOf(new Map([[s.group, c]]), orders))],
      error: [0, ...s.errors.map((e) => e.total)],
    }));
    // Savings interact (a conv between two pruned groups): raise the need until the exact MACs meet the target.
    let need = before - target;
    for (let it = 0; it < 40; it++) {
      const pick = allocate(groups, need);
      if (!pick) throw new Error(`prune: the measured levels cannot remove ${(need / 1e6).toFixed(1)} M MACs (add larger --ratios)`);
      counts.clear();
      pick.forEach((o, g) => counts.set(sens[g]!.group, o === 0 ? 0 : sens[g]!.counts[o - 1]!));
      sens.forEach((s, g) => errorAt.set(s.group, pick[g] === 0 ? 0 : s.errors[pick[g]! - 1]!.total));
      const macs = macsOf(counts, orders);
      if (macs <= target) break;
      need += Math.max(macs - target, before * 0.001);
    }
  } else {
    // One ratio for every group: the smallest that meets the target (bisection on the exact MACs).
    const full = new Map(analysis.groups.map((g) => [g.id, range(g.channels)]));
    const at = (r: number) => new Map(analysis.groups.map((g) => [g.id, Math.min(g.channels - 1, Math.round(r * g.channels))]));
    let lo = 0;
    let hi = 0.95;
    for (let i = 0; i < 30; i++) {
      const mid = (lo + hi) / 2;
      if (macsOf(at(mid), full) <= target) hi = mid;
      else lo = mid;
    }
    for (const [g, n] of at(hi)) counts.set(g, n);
    for (const g of analysis.groups) {
      const n = counts.get(g.id)!;
      const e: Elimination = eliminate(model, analysis, g, stats, [n], options.choice);
      orders.set(g.id, e.order);
    }
  }
  const sensitivitySeconds = clock() - t0;

  const plan = planFromCounts(analysis, counts, orders);
  const applied = applyPlan(model, analysis, plan);
  const editor = new GraphEditor(applied.model);
  t0 = clock();
  if (options.refit) {
    // Every group-1 conv downstream of a pruned channel is refitted (its inputs changed).
    const affected = new Set<string>();
    for (const g of plan.keys()) for (const m of analysis.groups[g]!.members) affected.add(m);
    for (const node of model.graph.node) {
      if ((node.input ?? []).some((i) => affected.has(i)) || affected.has(node.name ?? '')) for (const o of node.output ?? []) affected.add(o);
    }
    const targets: ReconstructTarget[] = analysis.consumers
      .filter((c) => {
        const node = model.graph.node.find((n) => n.name === c.node)!;
        return affected.has(node.input![0]!);
      })
      .map((c) => ({ node: c.node, keptOut: applied.convs.get(c.node)?.keptOut ?? range(stats.get(c.node)!.conv.dims[0]) }));
    const waves = await reconstruct(model, editor, targets, options.images, { threads, onProgress: (d, n) => { if (d === n || d % 10 === 0) log(`refit ${d}/${n}`); } });
    log(`refitted ${targets.length} convs in ${waves} waves`);
    editor.removeDead();
  }
  const reconstructSeconds = clock() - t0;
  const pruned = editor.model;
  const after = profileModel(pruned, { inputShapes: options.inputShapes }).totals.macs;
  const reference = await runOutputs(model, options.images, threads);
  const error = await outputError(options.family, reference, pruned, options.images, threads);
  const rows: PlanRow[] = analysis.groups.map((g) => {
    const n = counts.get(g.id) ?? 0;
    return {
      group: g.id,
      members: g.members,
      kept: g.channels - n,
      total: g.channels,
      macsRemoved: n === 0 ? 0 : before - macsOf(new Map([[g.id, n]]), orders),
      error: options.allocation === 'sensitivity' ? errorAt.get(g.id) : undefined,
    };
  });
  return { model: pruned, rows, macsBefore: before, macsAfter: after, error, seconds: { stats: statsSeconds, sensitivity: sensitivitySeconds, reconstruct: reconstructSeconds } };
}
