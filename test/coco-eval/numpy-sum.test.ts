// summarize.ts averages precision the way np.mean does (pycocotools), so its sums must be numpy's to the last
// bit. The reference here is a transcription of numpy's pairwise_sum (numpy/_core/src/umath/loops_utils.h.src:
// below 8 elements a plain loop; up to PW_BLOCKSIZE = 128 eight partial sums unrolled by 8, combined as
// ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the rest; above, split at n/2 rounded down to a multiple of 8),
// and of the reduction's 8192-element buffers (np.getbufsize()) added in turn to the identity 0.
import { describe, expect, it } from 'vitest';
import { numpySum, pairwiseSum } from '../../src/coco-eval/summarize.ts';

const PW_BLOCKSIZE = 128;

function numpyPairwise(a: Float64Array, offset: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[offset + i];
    return res;
  } else if (n <= PW_BLOCKSIZE) {
    const r = new Float64Array(8);
    for (let k = 0; k < 8; k++) r[k] = a[offset + k];
    let i: number;
    for (i = 8; i < n - (n % 8); i += 8) {
      r[0] += a[offset + i + 0];
      r[1] += a[offset + i + 1];
      r[2] += a[offset + i + 2];
      r[3] += a[offset + i + 3];
      r[4] += a[offset + i + 4];
      r[5] += a[offset + i + 5];
      r[6] += a[offset + i + 6];
      r[7] += a[offset + i + 7];
    }
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[offset + i];
    return res;
  }
  let n2 = Math.trunc(n / 2);
  n2 -= n2 % 8;
  return numpyPairwise(a, offset, n2) + numpyPairwise(a, offset + n2, n - n2);
}

function numpyReduceSum(a: Float64Array): number {
  const BUFSIZE = 8192;
  let out = 0; // np.add's identity
  for (let start = 0; start < a.length; start += BUFSIZE) out += numpyPairwise(a, start, Math.min(BUFSIZE, a.length - start));
  return out;
}

function leftToRight(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

/** Deterministic values spread over many magnitudes, as precision values and -1 fillers mix in COCOeval. */
function values(n: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Float64Array.from({ length: n }, () => (next() - 0.3) * 10 ** Math.floor(next() * 12 - 6));
}

describe('numpy-order summation', () => {
  it('follows numpy, not left to right, where the two differ (hand-derived: 1e16, 7 ones, -1e16, 7 ones)', () => {
    const a = new Float64Array(16).fill(1);
    a[0] = 1e16;
    a[8] = -1e16;
    // Left to right, each +1 on 1e16 is rounded away (ulp 2, ties to even): 7 is left.
    expect(leftToRight(a)).toBe(7);
    // numpy: r0 = 1e16 - 1e16 = 0, r1..r7 = 2 each.
    expect(pairwiseSum(a)).toBe(14);
    expect(numpySum(a)).toBe(14);
  });

  it('equals the transcription bit for bit on every length up to 600 and across buffer boundaries', () => {
    const lengths = [...Array.from({ length: 600 }, (_, i) => i + 1), 1000, 8191, 8192, 8193, 16384 + 77, 101 * 100 * 4];
    let differs = 0;
    for (const n of lengths) {
      const a = values(n, n);
      const want = numpyReduceSum(a);
      expect(Object.is(numpySum(a), want), `n = ${n}`).toBe(true);
      if (n <= 8192) expect(Object.is(pairwiseSum(a), numpyPairwise(a, 0, n)), `n = ${n}`).toBe(true);
      if (leftToRight(a) !== want) differs++;
    }
    // The arrays do tell the two orders apart (else the test would prove nothing).
    expect(differs).toBeGreaterThan(lengths.length / 2);
  });
});
