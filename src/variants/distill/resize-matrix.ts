// Resize along one axis as a matrix: out[i] = sum_j A[i, j] in[j]. A 2-D Resize of [N, C, H, W] is then
// Y = A_h X A_w^T, and its gradient is exactly dX = A_h^T dY A_w. The coordinate transforms and the nearest
// rounding follow the ONNX Resize spec (opset 11-13) as onnxruntime implements them; linear clamps the source
// coordinate to [0, in - 1] (PyTorch's upsample_bilinear2d with align_corners=False for pytorch_half_pixel).
import { InputError } from '../../errors.ts';

export type ResizeMode = 'nearest' | 'linear';

export interface AxisResize {
  mode: ResizeMode;
  /** coordinate_transformation_mode */
  transform: string;
  /** nearest_mode */
  nearest: string;
  inSize: number;
  outSize: number;
  /** The scale the node was given (scales input); out / in when it was given sizes. */
  scale: number;
}

/** The source coordinate of output index `x` (ONNX Resize's coordinate_transformation_mode). */
function sourceCoordinate(x: number, r: AxisResize): number {
  switch (r.transform) {
    case 'half_pixel':
      return (x + 0.5) / r.scale - 0.5;
    case 'pytorch_half_pixel':
      return r.outSize > 1 ? (x + 0.5) / r.scale - 0.5 : 0;
    case 'align_corners':
      return r.outSize === 1 ? 0 : (x * (r.inSize - 1)) / (r.outSize - 1);
    case 'asymmetric':
      return x / r.scale;
    default:
      throw new InputError(`distill: Resize coordinate_transformation_mode ${r.transform} has no gradient here`);
  }
}

function nearestIndex(c: number, mode: string): number {
  switch (mode) {
    case 'floor':
      return Math.floor(c);
    case 'ceil':
      return Math.ceil(c);
    case 'round_prefer_ceil':
      return Math.round(c);
    case 'round_prefer_floor':
      return c === Math.floor(c) + 0.5 ? Math.floor(c) : Math.round(c);
    default:
      throw new InputError(`distill: Resize nearest_mode ${mode} has no gradient here`);
  }
}

/** The [outSize, inSize] interpolation matrix, row-major. */
export function resizeMatrix(r: AxisResize): Float32Array {
  const a = new Float32Array(r.outSize * r.inSize);
  const last = r.inSize - 1;
  for (let x = 0; x < r.outSize; x++) {
    const c = sourceCoordinate(x, r);
    if (r.mode === 'nearest') {
      const j = Math.min(last, Math.max(0, nearestIndex(c, r.nearest)));
      a[x * r.inSize + j] = 1;
      continue;
    }
    const s = Math.min(last, Math.max(0, c));
    const j0 = Math.min(last, Math.floor(s));
    const j1 = Math.min(last, j0 + 1);
    const t = s - j0;
    a[x * r.inSize + j0] += 1 - t;
    a[x * r.inSize + j1] += t;
  }
  return a;
}
