// Paired comparisons: each light-head (or pruned) point against its model's input-scaling curve at the same
// FLOPs, interpolated linearly between the two bracketing sizes, replicate by replicate. Every point was
// bootstrapped on the same drawn image lists (same seed, same images), so the difference of replicate b is
// the difference on one image sample: image difficulty, shared by both, cancels (Everingham et al., IJCV 2015).
import { differenceInterval } from '../coco-eval/bootstrap.ts';
import { COMPARED_STRATEGIES, type Comparison, type PointResult } from './results.ts';

/** AP (0..1) of each bootstrap replicate, per point id. */
export type ApReplicates = ReadonlyMap<string, ArrayLike<number>>;

function scored(p: PointResult): boolean {
  return p.stats !== null && !p.error && p.flops > 0;
}

/** The two curve points around `flops` and the weight of the upper one; null outside the curve. */
function bracket(curve: readonly PointResult[], flops: number): { a: PointResult; b: PointResult; t: number } | null {
  const eps = 1e-9 * Math.max(1, ...curve.map((p) => p.flops));
  for (let i = 0; i < curve.length; i++) {
    const a = curve[i]!;
    if (Math.abs(a.flops - flops) <= eps) return { a, b: a, t: 0 };
    const b = curve[i + 1];
    if (b && flops > a.flops && flops < b.flops) return { a, b, t: (flops - a.flops) / (b.flops - a.flops) };
  }
  return null;
}

/**
 * One comparison per compared point that has replicates and lies within its model's input-scaling curve
 * (baseline included). `unpairedCi` pairs replicate b of the point with replicate (b + B/2) mod B of the curve,
 * drawn on other images: what the interval would be if the two had been bootstrapped independently.
 */
export function pairedComparisons(points: readonly PointResult[], replicates: ApReplicates, level = 0.95): Comparison[] {
  const out: Comparison[] = [];
  for (const p of points) {
    if (!COMPARED_STRATEGIES.includes(p.strategy) || !scored(p)) continue;
    const mine = replicates.get(p.id);
    if (!mine) continue;
    const curve = points
      .filter((q) => q.model === p.model && scored(q) && (q.strategy === 'baseline' || q.strategy === 'input-scaling') && replicates.has(q.id))
      .sort((x, y) => x.flops - y.flops);
    const at = bracket(curve, p.flops);
    if (!at) continue;
    const ra = replicates.get(at.a.id)!;
    const rb = replicates.get(at.b.id)!;
    const B = Math.min(mine.length, ra.length, rb.length);
    if (B === 0) continue;
    const curveAt = (i: number): number => (1 - at.t) * ra[i]! + at.t * rb[i]!;
    const deltaAP = p.stats!.AP - ((1 - at.t) * at.a.stats!.AP + at.t * at.b.stats!.AP);
    const paired = Float64Array.from({ length: B }, (_, i) => mine[i]! - curveAt(i));
    const shift = Math.floor(B / 2);
    const unpaired = Float64Array.from({ length: B }, (_, i) => mine[i]! - curveAt((i + shift) % B));
    out.push({
      model: p.model,
      point: p.id,
      against: 'input-scaling',
      flops: p.flops,
      deltaAP,
      ci: differenceInterval(deltaAP, paired, level),
      unpairedCi: differenceInterval(deltaAP, unpaired, level),
    });
  }
  return out;
}

/** A difference is significant at the interval's level when its interval excludes 0. */
export function isSignificant(c: Comparison): boolean {
  return c.ci[0] > 0 || c.ci[1] < 0;
}
