// The weighted fit (--fit-weighted): a position of weight w adds to X^T X, X^T Y and Y^T Y exactly what w copies
// of it add unweighted, so the solve is weighted least squares.
import { describe, expect, it } from 'vitest';
import type { ConvLayer } from '../../src/variants/conv-spec.ts';
import { accumulate, emptyStats, gatherOutputs } from '../../src/variants/fit-stats.ts';
import { mulberry32 } from '../../src/random.ts';

const conv: ConvLayer = {
  weight: new Float32Array(3 * 2 * 9),
  dims: [3, 2, 3, 3],
  bias: new Float32Array(3),
  group: 1,
  pads: [1, 1, 1, 1],
  strides: [1, 1],
  dilations: [1, 1],
};

describe('weighted fit statistics', () => {
  it('weight 3 on a position equals that position three times; weight 1 equals no weights', () => {
    const random = mulberry32(5);
    const x = { data: Float32Array.from({ length: 2 * 5 * 5 }, () => random() - 0.5), dims: [1, 2, 5, 5] };
    const y = { data: Float32Array.from({ length: 3 * 5 * 5 }, () => random() - 0.5), dims: [1, 3, 5, 5] };
    const positions = Int32Array.of(0, 7, 12, 24);
    const weighted = emptyStats(conv, 'full');
    accumulate(weighted, conv, x, 5, positions, gatherOutputs(y, positions), Float32Array.of(1, 3, 1, 1));
    const repeated = emptyStats(conv, 'full');
    const copies = Int32Array.of(0, 7, 7, 7, 12, 24);
    accumulate(repeated, conv, x, 5, copies, gatherOutputs(y, copies));
    const close = (a: Float64Array, b: Float64Array) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-9 * (1 + Math.abs(v)));
    expect(close(weighted.xtx, repeated.xtx)).toBe(true);
    expect(close(weighted.xty, repeated.xty)).toBe(true);
    expect(weighted.yty).toBeCloseTo(repeated.yty, 9);
    expect(weighted.samples).toBe(repeated.samples);

    const ones = emptyStats(conv, 'full');
    accumulate(ones, conv, x, 5, positions, gatherOutputs(y, positions), Float32Array.of(1, 1, 1, 1));
    const plain = emptyStats(conv, 'full');
    accumulate(plain, conv, x, 5, positions, gatherOutputs(y, positions));
    expect(close(ones.xtx, plain.xtx) && close(ones.xty, plain.xty)).toBe(true);
  });
});
