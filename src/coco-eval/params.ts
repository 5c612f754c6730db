// Default evaluation parameters, as pycocotools' Params.setDetParams() builds them.
import type { CocoEvalParams } from './types.ts';

/**
 * numpy.linspace(start, stop, num) with endpoint=True, computed the way numpy does (start + i * step, last value
 * set to stop), so that every threshold is the same double as pycocotools' (e.g. 0.8999999999999999, not 0.9).
 */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) out[i] = step === 0 ? start + (i / (num - 1)) * (stop - start) : i * step + start;
  out[num - 1] = stop;
  return out;
}

/** pycocotools Params(iouType='bbox'); the count formula int(np.round((stop - start) / step)) + 1 included. */
export function defaultParams(): CocoEvalParams {
  return {
    iouThrs: linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1),
    recThrs: linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1),
    maxDets: [1, 10, 100],
    areaRng: [
      [0 ** 2, 1e5 ** 2],
      [0 ** 2, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e5 ** 2],
    ],
    areaRngLbl: ['all', 'small', 'medium', 'large'],
    useCats: true,
  };
}

/** Sorted unique values, as np.unique returns them. */
export function sortedUnique(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
