// torchvision 0.14 GeneralizedRCNNTransform (RetinaNet) on a decoded RGB image: to_tensor (/255), normalise,
// resize by a float32 scale with torch 1.13's upsample_bilinear2d (align_corners=False), zero-pad to a
// multiple of 32. float32 arithmetic is kept with Math.fround where torch computes in float32.
const f32 = Math.fround;

/** torchvision's ImageNet normalisation (RGB, on [0, 1] values). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export interface RcnnSize {
  /** The scale as torch computes it (a float32 value). */
  scale: number;
  contentWidth: number;
  contentHeight: number;
}

/**
 * transform.py _resize_image_and_masks: scale = torch.min(min_size / short, max_size / long) on float32 tensors
 * (640x428 at 320: 319 rows, not 320),
 * then interpolate(scale_factor=scale.item(), recompute_scale_factor=True), whose output side is
 * floor(side * scale) in double (torch.nn.functional.interpolate).
 */
export function rcnnResizeSize(width: number, height: number, minSize: number, maxSize: number): RcnnSize {
  // `self_min_size / min_size` with a float32 tensor on the right is Tensor.__rtruediv__: reciprocal(t) * s.
  const scale = Math.min(f32(f32(1 / Math.min(width, height)) * minSize), f32(f32(1 / Math.max(width, height)) * maxSize));
  return { scale, contentWidth: Math.floor(width * scale), contentHeight: Math.floor(height * scale) };
}

/** to_tensor then Normalize: (v / 255 - mean) / std per channel, in float32; interleaved RGB -> planar. */
export function normalisedPlanes(rgb: Uint8Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = f32(IMAGENET_MEAN[c]);
    const std = f32(IMAGENET_STD[c]);
    // 256 possible inputs per channel: one table.
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = f32(f32(f32(v / 255) - mean) / std);
    for (let p = 0; p < plane; p++) out[c * plane + p] = table[rgb[3 * p + c]];
  }
  return out;
}

interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

/**
 * UpSampleKernel.cpp HelperInterpLinear::compute_indices_weights (compute_source_index_and_lambda): with
 * recompute_scale_factor the kernel's scale is (float)in / out; src = max(scale * (d + 0.5) - 0.5, 0) in float32.
 */
function linearTaps(inSize: number, outSize: number): Taps {
  const taps: Taps = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), w0: new Float32Array(outSize), w1: new Float32Array(outSize) };
  const scale = f32(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (inSize === outSize) {
      taps.i0[d] = taps.i1[d] = d;
      taps.w0[d] = 1;
      continue;
    }
    let real = f32(f32(scale * f32(d + 0.5)) - 0.5);
    if (real < 0) real = 0;
    const i0 = Math.trunc(real);
    taps.i0[d] = i0;
    taps.i1[d] = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = Math.min(Math.max(f32(real - i0), 0), 1);
    taps.w1[d] = l1;
    taps.w0[d] = f32(1 - l1);
  }
  return taps;
}

/**
 * upsample_bilinear2d(align_corners=False) of `channels` planes of inH x inW to outH x outW, written into a
 * zero-filled padH x padW canvas (batch_images pads at the bottom/right). Per output value: the two rows are
 * interpolated along x, then combined along y (Interpolate<2, ...>::eval), in float32.
 */
export function upsampleBilinearPadded(
  planes: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  padH: number,
  padW: number,
): Float32Array {
  const ys = linearTaps(inH, outH);
  const xs = linearTaps(inW, outW);
  const out = new Float32Array(channels * padH * padW);
  for (let c = 0; c < channels; c++) {
    const src = c * inH * inW;
    const dst = c * padH * padW;
    for (let y = 0; y < outH; y++) {
      const r0 = src + ys.i0[y] * inW;
      const r1 = src + ys.i1[y] * inW;
      const wy0 = ys.w0[y];
      const wy1 = ys.w1[y];
      const o = dst + y * padW;
      for (let x = 0; x < outW; x++) {
        const a = xs.i0[x];
        const b = xs.i1[x];
        const wx0 = xs.w0[x];
        const wx1 = xs.w1[x];
        const t0 = f32(f32(planes[r0 + a] * wx0) + f32(planes[r0 + b] * wx1));
        const t1 = f32(f32(planes[r1 + a] * wx0) + f32(planes[r1 + b] * wx1));
        out[o + x] = f32(t0 * wy0) + f32(t1 * wy1);
      }
    }
  }
  return out;
}
