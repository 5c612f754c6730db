// The study's answer in numbers: each light-head point against input scaling at the same FLOPs (the
// input-scaling curve of its model, interpolated linearly), i.e. which way of removing FLOPs costs less mAP.
import { interpolateAP, onCurve } from './curves.ts';
import { COMPARED_STRATEGIES, type PointResult } from './results.ts';

export interface StrategyComparison {
  id: string;
  model: string;
  gflops: number;
  /** Baseline FLOPs / the point's FLOPs. */
  reduction: number;
  mAP: number;
  /** mAP of input scaling at the same FLOPs; null when the FLOPs fall outside the input-scaling curve. */
  inputScalingMAP: number | null;
}

export function compareStrategies(points: readonly PointResult[]): StrategyComparison[] {
  const out: StrategyComparison[] = [];
  const scored = points.filter(onCurve);
  for (const p of scored.filter((q) => COMPARED_STRATEGIES.includes(q.strategy))) {
    const mine = scored.filter((q) => q.model === p.model);
    const base = mine.find((q) => q.strategy === 'baseline');
    const curve = mine.filter((q) => q.strategy === 'baseline' || q.strategy === 'input-scaling').sort((a, b) => a.flops - b.flops);
    const at = interpolateAP(curve, p.flops);
    out.push({
      id: p.id,
      model: p.model,
      gflops: p.flops / 1e9,
      reduction: base ? base.flops / p.flops : 1,
      mAP: p.stats.AP * 100,
      inputScalingMAP: at === null ? null : at * 100,
    });
  }
  return out;
}

export function comparisonLine(c: StrategyComparison): string {
  const versus = c.reduction >= 1 ? `${c.reduction.toFixed(2)}x fewer` : `${(1 / c.reduction).toFixed(2)}x more`;
  const head = `${c.id}: ${c.gflops.toFixed(3)} GFLOPs (${versus}), ${c.mAP.toFixed(1)} mAP`;
  if (c.inputScalingMAP === null) return `${head}; outside the input-scaling curve`;
  const delta = c.mAP - c.inputScalingMAP;
  return `${head}; input scaling at the same FLOPs: ${c.inputScalingMAP.toFixed(1)} mAP (difference ${delta >= 0 ? '+' : ''}${delta.toFixed(1)})`;
}
