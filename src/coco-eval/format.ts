// Text rendering of the summary, in pycocotools' layout:
// ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
import { summarySettings } from './summarize.ts';
import type { CocoEvalParams, CocoStats } from './types.ts';

/** Python's '{:0.Nf}': correctly rounded, exact ties to even (JS toFixed rounds exact ties up). */
export function formatFixed(x: number, digits: number): string {
  const exact = x.toFixed(Math.min(100, digits + 25));
  const tie = new RegExp(`\\.\\d{${digits}}50*$`).test(exact);
  if (!tie) return x.toFixed(digits);
  const kept = exact.slice(0, exact.indexOf('.') + digits + 1);
  const lastDigit = Number(kept[kept.length - 1]);
  // An exact tie: keep the even last digit (truncate), or round away from zero to reach it.
  return lastDigit % 2 === 0 ? kept : x.toFixed(digits);
}

export function summaryLines(stats: CocoStats, params: CocoEvalParams): string[] {
  return summarySettings(params.maxDets).map((s) => {
    const title = (s.ap ? 'Average Precision' : 'Average Recall').padEnd(18);
    const type = s.ap ? '(AP)' : '(AR)';
    const first = params.iouThrs[0];
    const last = params.iouThrs[params.iouThrs.length - 1];
    const iou = (s.iouThr === null ? `${formatFixed(first, 2)}:${formatFixed(last, 2)}` : formatFixed(s.iouThr, 2)).padEnd(9);
    const area = s.areaRng.padStart(6);
    const maxDets = String(s.maxDets).padStart(3);
    return ` ${title} ${type} @[ IoU=${iou} | area=${area} | maxDets=${maxDets} ] = ${formatFixed(stats[s.key], 3)}`;
  });
}
