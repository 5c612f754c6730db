// Fitting a light head without training: where the time goes (capturing feature maps with onnxruntime vs
// solving the normal equations), and the solver for the largest systems, a RetinaNet 3x3 conv's
// (256*9 + 1 = 2305 unknowns per output, 256 outputs), hand-written Cholesky vs ml-matrix, side by side.
// Capture time includes accumulating X^T X and X^T Y at the sampled positions (done as each image comes back).
// BENCH_N=1153 runs the solver part at a bottleneck middle conv's size (quicker).
import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { dataPath } from '../src/data-dir.ts';
import { loadModel } from '../src/onnx/model-io.ts';
import { solveSpd } from '../src/variants/linalg.ts';
import { buildVariant } from '../src/variants/index.ts';

function seconds(f: () => void): number {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}

/** A well-conditioned SPD matrix like X^T X of n features (n samples of a random X plus the ridge). */
function spd(n: number, m: number): { a: Float64Array; b: Float64Array } {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  const samples = 2 * n;
  const x = Float64Array.from({ length: samples * n }, rand);
  const a = new Float64Array(n * n);
  for (let k = 0; k < samples; k++) {
    const row = k * n;
    for (let i = 0; i < n; i++) {
      const xi = x[row + i]!;
      for (let j = i; j < n; j++) a[i * n + j]! += xi * x[row + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
  return { a, b: Float64Array.from({ length: n * m }, rand) };
}

function toMatrix(v: Float64Array, n: number, m: number): Matrix {
  return new Matrix(Array.from({ length: n }, (_, i) => Array.from(v.subarray(i * m, (i + 1) * m))));
}

const n = Number(process.env.BENCH_N ?? 2305);
const m = 256;
const { a, b } = spd(n, m);
const ours = seconds(() => solveSpd(a, b, n, m, 1e-9));
const A = toMatrix(a, n, n);
const B = toMatrix(b, n, m);
const cholesky = seconds(() => new CholeskyDecomposition(A).solve(B));
const lu = seconds(() => solve(A, B));
console.log(`normal equations ${n}x${n}, ${m} right-hand sides:`);
console.log(`  solveSpd (Float64Array Cholesky) ${ours.toFixed(2)} s`);
console.log(`  ml-matrix Cholesky                ${cholesky.toFixed(2)} s  (${(cholesky / ours).toFixed(2)}x ours)`);
console.log(`  ml-matrix solve (LU)              ${lu.toFixed(2)} s  (${(lu / ours).toFixed(2)}x ours)`);

{
  for (const [file, family, rank] of [['nanodet_m_320.onnx', 'nanodet', 40], ['yolox_nano_416.onnx', 'yolox', 24]] as const) {
    const model = loadModel(dataPath('models', file));
    const t = performance.now();
    const result = await buildVariant(model, {
      block: 'lowrank',
      levels: ['P3'],
      rank,
      fit: { calibDir: dataPath('coco', 'calib'), family, images: 32 },
    });
    const total = (performance.now() - t) / 1000;
    const fit = result.fit!;
    console.log(
      `${file} lowrank r=${rank} at P3, 32 calibration images, ${result.layers.length} layers: total ${total.toFixed(2)} s, ` +
        `capture ${fit.captureSeconds.toFixed(2)} s (${fit.passes} onnxruntime passes), solve ${fit.solveSeconds.toFixed(2)} s ` +
        `(capture/solve ${(fit.captureSeconds / fit.solveSeconds).toFixed(1)}x)`,
    );
  }
}
