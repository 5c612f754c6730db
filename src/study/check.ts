// The CI gate: compares a current results.json with a committed baseline, point by point (matched by id).
// A point regresses when its mAP per GFLOP falls by more than the tolerance, or when its mAP falls below
// the baseline's curve interpolated at the point's FLOPs (so a variant that got lighter but lost more
// accuracy than the baseline trade-off allows is caught too). Profile-only points compare FLOPs.
import { InputError } from '../errors.ts';
import { interpolateAP, onCurve, type ScoredPoint } from './curves.ts';
import type { ImageSet, PointResult, StudyResults } from './results.ts';
import { giga } from '../units.ts';

export interface PointCheck {
  id: string;
  /** mAP (0..1) per GFLOP, baseline and current; null where not evaluated. */
  baselineRatio: number | null;
  currentRatio: number | null;
  /** Baseline curve's mAP at the current point's FLOPs (null outside the curve's FLOPs range). */
  baselineAtFlops: number | null;
  currentAP: number | null;
  baselineFlops: number;
  currentFlops: number | null;
  regressed: boolean;
  reasons: string[];
}

export interface CheckReport {
  tolerance: number;
  points: PointCheck[];
  /** Points only in the current file (new points are not failures). */
  added: string[];
  regressed: string[];
  /** Points whose mAP per GFLOP rose by more than the tolerance: the baseline may be refreshed. */
  improved: string[];
}

function ratio(p: ScoredPoint): number {
  return p.stats.AP / (p.flops / 1e9);
}

/** The baseline curve a point belongs to: its model's baseline plus the points of its strategy. */
function curveOf(point: PointResult, baseline: readonly PointResult[]): ScoredPoint[] {
  return baseline
    .filter(onCurve)
    .filter((q) => q.model === point.model)
    .filter((q) => q.strategy === 'baseline' || q.strategy === point.strategy)
    .sort((a, b) => a.flops - b.flops);
}

function pct(a: number, b: number): string {
  return `${(((b - a) / a) * 100).toFixed(1)}%`;
}

function checkPoint(b: PointResult, c: PointResult | undefined, baseline: StudyResults, tol: number): PointCheck {
  const out: PointCheck = {
    id: b.id,
    baselineRatio: onCurve(b) ? ratio(b) : null,
    currentRatio: c && onCurve(c) ? ratio(c) : null,
    baselineAtFlops: null,
    currentAP: c?.stats?.AP ?? null,
    baselineFlops: b.flops,
    currentFlops: c && !c.error ? c.flops : null,
    regressed: false,
    reasons: [],
  };
  if (!c) out.reasons.push('missing from the current results');
  else if (c.error) out.reasons.push(`failed: ${c.error}`);
  else if (onCurve(b) && !onCurve(c)) out.reasons.push('no mAP in the current results');
  else if (onCurve(b) && onCurve(c)) {
    const br = out.baselineRatio!;
    const cr = out.currentRatio!;
    if (cr < br * (1 - tol)) {
      out.reasons.push(`mAP per GFLOP ${(br * 100).toFixed(3)} -> ${(cr * 100).toFixed(3)} (${pct(br, cr)})`);
    }
    const atFlops = interpolateAP(curveOf(c, baseline.points), c.flops);
    out.baselineAtFlops = atFlops;
    if (atFlops !== null && c.stats.AP < atFlops * (1 - tol)) {
      out.reasons.push(
        `mAP ${(c.stats.AP * 100).toFixed(1)} below the baseline curve's ${(atFlops * 100).toFixed(1)} at ${giga(c.flops)} GFLOPs`,
      );
    }
  } else if (!b.error && c.flops > b.flops * (1 + tol)) {
    // Profile-only points: the gate guards the FLOPs themselves.
    out.reasons.push(`GFLOPs ${giga(b.flops)} -> ${giga(c.flops)} (${pct(b.flops, c.flops)})`);
  }
  out.regressed = out.reasons.length > 0;
  return out;
}

/** `tolerance`: allowed relative drop (0.02 = 2%) of mAP per GFLOP and of mAP at the same FLOPs. */
/**
 * Refuses (InputError, exit 2) to compare results of different studies or image sets: the gate's numbers only
 * mean something against a baseline of the same study on the same images. Files that predate the recorded
 * image set are compared by their image count.
 */
export function assertComparable(baseline: StudyResults, current: StudyResults, baselineFile: string, currentFile: string): void {
  const differs = (what: string, b: string, c: string) =>
    new InputError(`${currentFile}: cannot be checked against ${baselineFile}: ${what} differs (baseline ${b}, current ${c})`);
  if (baseline.study !== current.study) throw differs('the study', `"${baseline.study}"`, `"${current.study}"`);
  if (baseline.evaluated !== current.evaluated) throw differs('evaluation', String(baseline.evaluated), String(current.evaluated));
  if (baseline.images !== current.images) throw differs('the image set', `${baseline.images} images`, `${current.images} images`);
  const b = baseline.imageSet;
  const c = current.imageSet;
  if (b && c) {
    const ids = (s: ImageSet) => s.ids.join(',');
    if (ids(b) !== ids(c)) {
      const first = b.ids.findIndex((id, i) => id !== c.ids[i]);
      throw differs('the image set', `image ids ... ${b.ids[first]}`, `${c.ids[first]} at position ${first}`);
    }
    if (b.annotations !== c.annotations) throw differs('the annotations of the image set', `hash ${b.annotations}`, `hash ${c.annotations}`);
  }
}

export function checkResults(baseline: StudyResults, current: StudyResults, tolerance = 0.02): CheckReport {
  const byId = new Map(current.points.map((p) => [p.id, p]));
  const points = baseline.points.filter((b) => !b.error).map((b) => checkPoint(b, byId.get(b.id), baseline, tolerance));
  const known = new Set(baseline.points.map((p) => p.id));
  return {
    tolerance,
    points,
    added: current.points.filter((p) => !known.has(p.id)).map((p) => p.id),
    regressed: points.filter((p) => p.regressed).map((p) => p.id),
    improved: points
      .filter((p) => !p.regressed && p.baselineRatio !== null && p.currentRatio !== null && p.currentRatio > p.baselineRatio * (1 + tolerance))
      .map((p) => p.id),
  };
}
