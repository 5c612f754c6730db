// NanoDet's evaluation resize: cv2.warpPerspective(img, M, dsize) with M from nanodet/data/transform/warp.py
// get_resize_matrix(keep_ratio=True), INTER_LINEAR, BORDER_CONSTANT 0, as OpenCV 4.6 computes it
// (modules/imgproc/src/imgwarp.cpp WarpPerspectiveInvoker + remapBilinear): source coordinates in 1/32 pixel,
// 15-bit bilinear weights, integer arithmetic.

/** A 3x3 matrix, row-major. */
export type Matrix3 = [number, number, number, number, number, number, number, number, number];

/**
 * get_resize_matrix((w, h), (dstW, dstH), keep_ratio=True): centre the image (C), scale by the ratio that fits
 * it (Rs), move to the centre of the output (T); M = T @ Rs @ C in float64, as numpy computes it.
 */
export function nanodetResizeMatrix(width: number, height: number, dstWidth: number, dstHeight: number): Matrix3 {
  const ratio = width / height < dstWidth / dstHeight ? dstHeight / height : dstWidth / width;
  // (T @ Rs) @ C: row 0 is [ratio, 0, 0.5 dstW] times C = [[1,0,-w/2],[0,1,-h/2],[0,0,1]].
  const tx = ratio * (-width / 2) + 0 * (-height / 2) + 0.5 * dstWidth;
  const ty = 0 * (-width / 2) + ratio * (-height / 2) + 0.5 * dstHeight;
  return [ratio, 0, tx, 0, ratio, ty, 0, 0, 1];
}

/** cv::invert of a 3x3 matrix (DECOMP_LU takes the closed form for n <= 3: the adjugate over the determinant). */
export function invert3(m: Matrix3): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (det === 0) return [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const r = 1 / det;
  return [
    (e * i - f * h) * r, (c * h - b * i) * r, (b * f - c * e) * r,
    (f * g - d * i) * r, (a * i - c * g) * r, (c * d - a * f) * r,
    (d * h - e * g) * r, (b * g - a * h) * r, (a * e - b * d) * r,
  ];
}

/** INTER_BITS = 5: source coordinates in 1/32 pixel. */
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
/** INTER_REMAP_COEF_BITS = 15. */
const REMAP_BITS = 15;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** saturate_cast<int>(double): cvRound, round half to even. */
function roundToInt(v: number): number {
  if (v <= INT_MIN) return INT_MIN;
  if (v >= INT_MAX) return INT_MAX;
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function saturateShort(v: number): number {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/**
 * cv2.warpPerspective(src, M, (dstWidth, dstHeight)) with INTER_LINEAR and a constant border of 0, on 8-bit
 * interleaved pixels: each output pixel samples the source at M^-1 (x, y) (imgwarp.cpp inverts M first).
 */
export function cvWarpPerspective(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  matrix: Matrix3,
  dstWidth: number,
  dstHeight: number,
): Uint8Array {
  const M = invert3(matrix);
  const cn = channels;
  const out = new Uint8Array(dstWidth * dstHeight * cn);
  // The 2x2 bilinear weights of each 1/32-pixel offset (initInterTab2D): products of multiples of 1/32, exact
  // in 15 bits, so they sum to 1 << 15 without the rounding fix-up.
  const wtab = new Int32Array(INTER_TAB_SIZE * INTER_TAB_SIZE * 4);
  for (let ty = 0; ty < INTER_TAB_SIZE; ty++) {
    for (let tx = 0; tx < INTER_TAB_SIZE; tx++) {
      const fy = ty / INTER_TAB_SIZE;
      const fx = tx / INTER_TAB_SIZE;
      const t = (ty * INTER_TAB_SIZE + tx) * 4;
      wtab[t] = Math.round((1 - fy) * (1 - fx) * (1 << REMAP_BITS));
      wtab[t + 1] = Math.round((1 - fy) * fx * (1 << REMAP_BITS));
      wtab[t + 2] = Math.round(fy * (1 - fx) * (1 << REMAP_BITS));
      wtab[t + 3] = Math.round(fy * fx * (1 << REMAP_BITS));
    }
  }
  const stride = width * cn;
  // WarpPerspectiveInvoker works in blocks of bw0 columns (BLOCK_SZ = 32): X0 = M[0]*x + M[1]*y + M[2] at the
  // block's first column x, then (X0 + M[0]*x1) * W for column x + x1; the same split keeps the same doubles.
  const bh0 = Math.min(16, dstHeight);
  const bw0 = Math.min(Math.floor(1024 / bh0), dstWidth);
  for (let y = 0; y < dstHeight; y++) {
    for (let x = 0; x < dstWidth; x++) {
      const bx = x - (x % bw0);
      const x1 = x - bx;
      const X0 = M[0] * bx + M[1] * y + M[2];
      const Y0 = M[3] * bx + M[4] * y + M[5];
      const W0 = M[6] * bx + M[7] * y + M[8];
      let W = W0 + M[6] * x1;
      W = W ? INTER_TAB_SIZE / W : 0;
      const X = roundToInt(Math.max(INT_MIN, Math.min(INT_MAX, (X0 + M[0] * x1) * W)));
      const Y = roundToInt(Math.max(INT_MIN, Math.min(INT_MAX, (Y0 + M[3] * x1) * W)));
      const sx = saturateShort(X >> INTER_BITS);
      const sy = saturateShort(Y >> INTER_BITS);
      const t = ((Y & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (X & (INTER_TAB_SIZE - 1))) * 4;
      const o = (y * dstWidth + x) * cn;
      // remapBilinear, BORDER_CONSTANT: all four taps outside -> border value; some outside -> those count as 0.
      if (sx >= width || sx + 1 < 0 || sy >= height || sy + 1 < 0) continue; // out is already 0
      const inX0 = sx >= 0;
      const inX1 = sx + 1 < width;
      const inY0 = sy >= 0;
      const inY1 = sy + 1 < height;
      const r0 = sy * stride + sx * cn;
      const r1 = r0 + stride;
      for (let k = 0; k < cn; k++) {
        const v0 = inY0 && inX0 ? src[r0 + k] : 0;
        const v1 = inY0 && inX1 ? src[r0 + cn + k] : 0;
        const v2 = inY1 && inX0 ? src[r1 + k] : 0;
        const v3 = inY1 && inX1 ? src[r1 + cn + k] : 0;
        const v = (v0 * wtab[t] + v1 * wtab[t + 1] + v2 * wtab[t + 2] + v3 * wtab[t + 3] + (1 << (REMAP_BITS - 1))) >> REMAP_BITS;
        out[o + k] = v > 255 ? 255 : v;
      }
    }
  }
  return out;
}
