// How far one network input is from another of the same shape: the measure `flopmap preprocess --compare` and
// the fixture tests use. cv2 families are compared in grey levels (the difference times the channel's std,
// undoing (x - mean) / std); torchvision's normalised input in its own units.

export interface InputComparison {
  unit: 'grey' | 'normalised';
  values: number;
  equal: number;
  maxDifference: number;
  /** Share of values that differ by more than 1 (unit). */
  fractionOverOne: number;
}

/** `a` and `b` are [1, 3, H, W]; `std` (per channel, pixel units) turns differences into grey levels. */
export function compareInputs(a: Float32Array, b: Float32Array, std?: readonly number[]): InputComparison {
  const plane = a.length / 3;
  let max = 0;
  let equal = 0;
  let overOne = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) {
      equal++;
      continue;
    }
    const d = Math.abs(a[i] - b[i]) * (std ? std[Math.floor(i / plane)] : 1);
    if (d > max) max = d;
    // 1e-4: float32 rounding of (x - mean) / std is not a grey level.
    if (d > 1 + 1e-4) overOne++;
  }
  return { unit: std ? 'grey' : 'normalised', values: a.length, equal, maxDifference: max, fractionOverOne: overOne / a.length };
}
