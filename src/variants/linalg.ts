// Dense linear algebra on row-major Float64Array matrices, just what fitting needs: products, a Cholesky
// solve for the symmetric positive-definite normal equations, and symmetric eigenvectors (ml-matrix).
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** C = A (n x k) * B (k x m). */
export function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const ci = i * m;
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p]!;
      if (v === 0) continue;
      const bp = p * m;
      for (let j = 0; j < m; j++) c[ci + j]! += v * b[bp + j]!;
    }
  }
  return c;
}

/** A^T for A (n x m). */
export function transpose(a: Float64Array, n: number, m: number): Float64Array {
  const t = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) t[j * n + i] = a[i * m + j]!;
  return t;
}

/**
 * Solves A X = B for symmetric positive-definite A (n x n) and B (n x m), in place of a copy, by Cholesky.
 * `ridge` is added to the diagonal first (relative to the mean diagonal) so that rank-deficient statistics
 * (dead channels, zero weights) still give a finite, small solution. A hand-written kernel: ml-matrix's
 * general solvers were the bottleneck on the 2305 x 2305 systems of a RetinaNet 3x3 conv (see bench).
 */
export function solveSpd(a: Float64Array, b: Float64Array, n: number, m: number, ridge: number): Float64Array {
  const l = Float64Array.from(a);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += l[i * n + i]!;
  const lambda = Math.max(ridge * (trace / n), 1e-12);
  for (let i = 0; i < n; i++) l[i * n + i]! += lambda;
  // In-place lower Cholesky factor.
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = l[rj + j]!;
    for (let p = 0; p < j; p++) d -= l[rj + p]! * l[rj + p]!;
    if (!(d > 0)) d = lambda; // numerically singular direction: fall back to the ridge alone
    const djj = Math.sqrt(d);
    l[rj + j] = djj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = l[ri + j]!;
      for (let p = 0; p < j; p++) s -= l[ri + p]! * l[rj + p]!;
      l[ri + j] = s / djj;
    }
  }
  const x = Float64Array.from(b);
  // Forward: L y = b.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let p = 0; p < i; p++) {
      const lip = l[ri + p]!;
      if (lip === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c]! -= lip * x[p * m + c]!;
    }
    const d = l[ri + i]!;
    for (let c = 0; c < m; c++) x[i * m + c]! /= d;
  }
  // Backward: L^T x = y.
  for (let i = n - 1; i >= 0; i--) {
    for (let p = i + 1; p < n; p++) {
      const lpi = l[p * n + i]!;
      if (lpi === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c]! -= lpi * x[p * m + c]!;
    }
    const d = l[i * n + i]!;
    for (let c = 0; c < m; c++) x[i * m + c]! /= d;
  }
  return x;
}

/** The r eigenvectors of symmetric A (n x n) with the largest eigenvalues, as the columns of an n x r matrix. */
export function topEigenvectors(a: Float64Array, n: number, r: number): Float64Array {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n);
    // Symmetrise: accumulated statistics can differ in the last bits across the diagonal.
    for (let j = 0; j < n; j++) row[j] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
    rows.push(row);
  }
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0]).map(([, i]) => i);
  const vectors = evd.eigenvectorMatrix;
  const out = new Float64Array(n * r);
  for (let k = 0; k < r; k++) {
    const col = order[k]!;
    for (let i = 0; i < n; i++) out[i * r + k] = vectors.get(i, col);
  }
  return out;
}
