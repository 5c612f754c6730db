// Points with an mAP and the FLOPs-mAP curves they make: the one definition the gate (check.ts), the
// strategy comparison (compare.ts) and the report (charts.ts, html.ts) share.
import type { CocoStats } from '../coco-eval/index.ts';
import type { PointResult } from './results.ts';

export type ScoredPoint = PointResult & { stats: CocoStats };

/** A point that was evaluated and did not fail. */
export function hasMap(p: PointResult): p is ScoredPoint {
  return p.stats !== null && !p.error;
}

/** A point that can sit on a FLOPs-mAP curve: it has an mAP and a FLOPs count. */
export function onCurve(p: PointResult): p is ScoredPoint {
  return hasMap(p) && p.flops > 0;
}

/** Linear interpolation of AP against FLOPs along a curve sorted by FLOPs; null outside it (no extrapolation). */
export function interpolateAP(curve: readonly ScoredPoint[], flops: number): number | null {
  if (curve.length === 0) return null;
  const first = curve[0];
  const last = curve[curve.length - 1];
  const eps = 1e-9 * Math.max(1, last.flops);
  if (flops < first.flops - eps || flops > last.flops + eps) return null;
  for (let i = 0; i < curve.length; i++) {
    const a = curve[i];
    if (Math.abs(a.flops - flops) <= eps) return a.stats.AP;
    const b = curve[i + 1];
    if (b && flops > a.flops && flops < b.flops) {
      const t = (flops - a.flops) / (b.flops - a.flops);
      return a.stats.AP + t * (b.stats.AP - a.stats.AP);
    }
  }
  return null;
}
