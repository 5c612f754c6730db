// The linear algebra behind light heads, on synthetic data (no model): the SPD solver on a system with a
// known answer, and each block at full rank reproducing the conv it replaces (a direct convolution,
// ONNX semantics, is the reference).
import { describe, expect, it } from 'vitest';
import { initFromWeights } from '../../src/variants/blocks.ts';
import type { ConvLayer } from '../../src/variants/conv-spec.ts';
import { matmul, solveSpd, transpose } from '../../src/variants/linalg.ts';

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/** ONNX Conv on one image x [cin, h, w]. */
function conv2d(x: Float32Array, cin: number, h: number, w: number, c: ConvLayer): { y: Float64Array; h: number; w: number } {
  const [cout, cpg, kh, kw] = c.dims;
  const [pt, pl, pb, pr] = c.pads;
  const [sh, sw] = c.strides;
  const [dh, dw] = c.dilations;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const outPerGroup = cout / c.group;
  const y = new Float64Array(cout * oh * ow);
  for (let o = 0; o < cout; o++) {
    const g = Math.floor(o / outPerGroup);
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let s = c.bias[o];
        for (let ci = 0; ci < cpg; ci++) {
          for (let u = 0; u < kh; u++) {
            for (let v = 0; v < kw; v++) {
              const yy = i * sh - pt + u * dh;
              const xx = j * sw - pl + v * dw;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              s += c.weight[((o * cpg + ci) * kh + u) * kw + v] * x[((g * cpg + ci) * h + yy) * w + xx];
            }
          }
        }
        y[(o * oh + i) * ow + j] = s;
      }
    }
  }
  return { y, h: oh, w: ow };
}

function chain(x: Float32Array, cin: number, h: number, w: number, layers: ConvLayer[]): Float64Array {
  let cur: { y: Float64Array; h: number; w: number } = { y: Float64Array.from(x), h, w };
  let channels = cin;
  for (const l of layers) {
    cur = conv2d(Float32Array.from(cur.y), channels, cur.h, cur.w, l);
    channels = l.dims[0];
  }
  return cur.y;
}

function conv3x3(cout: number, cin: number, fill: (o: number, i: number, t: number) => number, stride = 1): ConvLayer {
  const weight = new Float32Array(cout * cin * 9);
  for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let t = 0; t < 9; t++) weight[(o * cin + i) * 9 + t] = fill(o, i, t);
  const r = rng(7);
  return {
    weight,
    dims: [cout, cin, 3, 3],
    bias: Float32Array.from({ length: cout }, () => r()),
    group: 1,
    pads: [1, 1, 1, 1],
    strides: [stride, stride],
    dilations: [1, 1],
  };
}

/** Largest |a - b| relative to the largest |a|. */
function relativeError(a: Float64Array, b: Float64Array): number {
  expect(b.length).toBe(a.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff / scale;
}

describe('solveSpd', () => {
  it('solves A X = B for a known SPD system', () => {
    // A = M M^T + n I is SPD; X is chosen, B = A X.
    const n = 6;
    const m = 3;
    const r = rng(1);
    const mm = Float64Array.from({ length: n * n }, () => r());
    const a = matmul(mm, transpose(mm, n, n), n, n, n);
    for (let i = 0; i < n; i++) a[i * n + i] += n;
    const x = Float64Array.from({ length: n * m }, () => r());
    const b = matmul(a, x, n, n, m);
    const solved = solveSpd(a, b, n, m, 0);
    for (let i = 0; i < n * m; i++) expect(solved[i]).toBeCloseTo(x[i], 9);
  });

  it('solves a hand-checked 2x2 system exactly enough', () => {
    // [[4, 2], [2, 3]] x = [2, 1] -> x = [0.5, 0].
    const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2, 1, 0);
    expect(x[0]).toBeCloseTo(0.5, 10);
    expect(x[1]).toBeCloseTo(0, 10);
  });
});

describe('blocks at full rank reproduce their conv', () => {
  const cin = 4;
  const cout = 4;
  const h = 7;
  const w = 6;
  const r = rng(3);
  const x = Float32Array.from({ length: cin * h * w }, () => r());
  const dense = rng(5);
  const weights = Array.from({ length: cout * cin * 9 }, () => dense());

  it('lowrank at rank min(cout, cin x 9)', () => {
    const conv = conv3x3(cout, cin, (o, i, t) => weights[(o * cin + i) * 9 + t]);
    const layers = initFromWeights('lowrank', conv, { rank: cout });
    expect(layers.map((l) => l.dims)).toEqual([[4, 4, 3, 3], [4, 4, 1, 1]]);
    expect(relativeError(chain(x, cin, h, w, [conv]), chain(x, cin, h, w, layers))).toBeLessThan(1e-5);
  });

  it('lowrank keeps the stride (on the spatial factor)', () => {
    const conv = conv3x3(cout, cin, (o, i, t) => weights[(o * cin + i) * 9 + t], 2);
    const layers = initFromWeights('lowrank', conv, { rank: cout });
    expect(relativeError(chain(x, cin, h, w, [conv]), chain(x, cin, h, w, layers))).toBeLessThan(1e-5);
  });

  it('bottleneck at rank cin = cout', () => {
    const conv = conv3x3(cout, cin, (o, i, t) => weights[(o * cin + i) * 9 + t]);
    const layers = initFromWeights('bottleneck', conv, { rank: cin });
    expect(layers.map((l) => l.dims)).toEqual([[4, 4, 1, 1], [4, 4, 3, 3], [4, 4, 1, 1]]);
    expect(relativeError(chain(x, cin, h, w, [conv]), chain(x, cin, h, w, layers))).toBeLessThan(1e-5);
  });

  it('dwsep on a conv whose every input-channel slice W[:, c, :] is rank 1', () => {
    const u = Array.from({ length: cout * cin }, () => dense());
    const v = Array.from({ length: cin * 9 }, () => dense());
    const conv = conv3x3(cout, cin, (o, i, t) => u[o * cin + i] * v[i * 9 + t]);
    const layers = initFromWeights('dwsep', conv, {});
    expect(layers.map((l) => [l.dims, l.group])).toEqual([[[4, 1, 3, 3], 4], [[4, 4, 1, 1], 1]]);
    expect(relativeError(chain(x, cin, h, w, [conv]), chain(x, cin, h, w, layers))).toBeLessThan(1e-5);
  });

  it('conv1x1 on a conv whose taps are all at the centre', () => {
    const conv = conv3x3(cout, cin, (o, i, t) => (t === 4 ? weights[(o * cin + i) * 9 + t] : 0));
    const layers = initFromWeights('conv1x1', conv, {});
    expect(layers.map((l) => [l.dims, l.pads])).toEqual([[[4, 4, 1, 1], [0, 0, 0, 0]]]);
    expect(relativeError(chain(x, cin, h, w, [conv]), chain(x, cin, h, w, layers))).toBeLessThan(1e-6);
  });
});
