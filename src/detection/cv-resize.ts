// cv2.resize(src, (w, h), interpolation=INTER_LINEAR) on 8-bit interleaved pixels, as OpenCV 4.6 computes it
// (modules/imgproc/src/resize.cpp): YOLOX's preproc resizes with it, and sharp's linear kernel samples on
// another grid. Integer arithmetic throughout, so the output equals OpenCV's to the bit.

/** INTER_RESIZE_COEF_BITS: the interpolation weights are 11-bit fixed point. */
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;
/** CV_SIMD128 (the x86-64 baseline of the opencv-python wheels): lanes of v_uint8 and v_int16. */
const LANES_U8 = 16;
const LANES_S16 = 8;

/** cvRound / saturate_cast<short>(float): round half to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Source index and the two 11-bit weights of each destination index along one axis (resize.cpp cv::resize). */
function axisTaps(srcSize: number, dstSize: number, clampEnds: boolean): { index: Int32Array; w0: Int16Array; w1: Int16Array } {
  const scale = 1 / (dstSize / srcSize); // scale_x = 1./inv_scale_x, inv_scale_x = (double)dsize.width/ssize.width
  const index = new Int32Array(dstSize);
  const w0 = new Int16Array(dstSize);
  const w1 = new Int16Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5); // fx = (float)((dx+0.5)*scale_x - 0.5)
    let s = Math.floor(f);
    f = Math.fround(f - s);
    // The horizontal taps are clamped to the row (sx < 0 -> 0; sx >= width-1 -> width-1, weight 0 on the
    // right); the vertical ones are not: their rows are clipped to the image instead (resizeGeneric_Invoker).
    if (clampEnds) {
      if (s < 0) (f = 0), (s = 0);
      if (s >= srcSize - 1) (f = 0), (s = srcSize - 1);
    }
    index[d] = s;
    w0[d] = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    w1[d] = roundHalfEven(f * COEF_SCALE);
  }
  return { index, w0, w1 };
}

/** cv2.resize INTER_LINEAR of interleaved 8-bit pixels with `channels` channels. */
export function cvResizeLinear(src: Uint8Array, width: number, height: number, channels: number, dstWidth: number, dstHeight: number): Uint8Array {
  if (dstWidth === width && dstHeight === height) return src.slice();
  // resize.cpp: an exact 2x downscale in both axes takes the INTER_AREA fast path (resizeAreaFast).
  const sx = width / dstWidth;
  const sy = height / dstHeight;
  if (sx === 2 && sy === 2) return cvHalve(src, width, channels, dstWidth, dstHeight);

  const cn = channels;
  const rowLength = dstWidth * cn;
  const xs = axisTaps(width, dstWidth, true);
  const ys = axisTaps(height, dstHeight, false);
  // Horizontal pass: each source row once (HResizeLinear with 11-bit weights into int).
  const xofs = new Int32Array(rowLength);
  const alpha0 = new Int32Array(rowLength);
  const alpha1 = new Int32Array(rowLength);
  for (let dx = 0; dx < dstWidth; dx++) {
    for (let k = 0; k < cn; k++) {
      const i = dx * cn + k;
      xofs[i] = xs.index[dx] * cn + k;
      alpha0[i] = xs.w0[dx];
      alpha1[i] = xs.w1[dx];
    }
  }
  const rowCache = new Map<number, Int32Array>();
  const hrow = (sy: number): Int32Array => {
    let row = rowCache.get(sy);
    if (row) return row;
    row = new Int32Array(rowLength);
    const base = sy * width * cn;
    const last = (width - 1) * cn;
    for (let i = 0; i < rowLength; i++) {
      const s = xofs[i];
      // The right tap of the last column has weight 0 (and lies outside the row).
      row[i] = src[base + s] * alpha0[i] + (s - (s % cn) < last ? src[base + s + cn] * alpha1[i] : 0);
    }
    if (rowCache.size > 4) rowCache.delete(rowCache.keys().next().value as number);
    rowCache.set(sy, row);
    return row;
  };
  const out = new Uint8Array(rowLength * dstHeight);
  // Vectorised part of VResizeLinear (VResizeLinearVec_32s8u): the int rows are shifted right by 4 and packed to
  // int16, multiplied by the 16-bit weights keeping the high half (v_mul_hi), summed, then (x + 2) >> 2 with
  // saturation. It covers 16 at a time, then 8 while x < width - 8; the rest takes the exact scalar
  // FixedPtCast<int, uchar, 22>: (S0*b0 + S1*b1 + (1 << 21)) >> 22.
  let vectorEnd = 0;
  while (vectorEnd <= rowLength - LANES_U8) vectorEnd += LANES_U8;
  while (vectorEnd <= rowLength - LANES_S16) vectorEnd += LANES_S16;
  for (let dy = 0; dy < dstHeight; dy++) {
    const clip = (y: number) => (y < 0 ? 0 : y >= height ? height - 1 : y);
    const s0 = hrow(clip(ys.index[dy]));
    const s1 = hrow(clip(ys.index[dy] + 1));
    const b0 = ys.w0[dy];
    const b1 = ys.w1[dy];
    const o = dy * rowLength;
    for (let x = 0; x < vectorEnd; x++) {
      const v = (mulHi(s0[x] >> 4, b0) + mulHi(s1[x] >> 4, b1) + 2) >> 2;
      out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    for (let x = vectorEnd; x < rowLength; x++) {
      const v = (s0[x] * b0 + s1[x] * b1 + (1 << 21)) >> 22;
      out[o + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/** v_mul_hi on int16 lanes: the high 16 bits of the 32-bit product (v_pack saturates the input to int16). */
function mulHi(a: number, b: number): number {
  const sa = a > 32767 ? 32767 : a < -32768 ? -32768 : a;
  return (sa * b) >> 16;
}

/** resizeAreaFast with scale 2: the rounded mean of each 2x2 block, (sum + 2) >> 2. */
function cvHalve(src: Uint8Array, width: number, cn: number, dstWidth: number, dstHeight: number): Uint8Array {
  const out = new Uint8Array(dstWidth * dstHeight * cn);
  const stride = width * cn;
  for (let y = 0; y < dstHeight; y++) {
    const r0 = 2 * y * stride;
    const r1 = r0 + stride;
    for (let x = 0; x < dstWidth; x++) {
      for (let k = 0; k < cn; k++) {
        const s = 2 * x * cn + k;
        out[(y * dstWidth + x) * cn + k] = (src[r0 + s] + src[r0 + s + cn] + src[r1 + s] + src[r1 + s + cn] + 2) >> 2;
      }
    }
  }
  return out;
}
