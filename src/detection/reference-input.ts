// Image file -> the exact network input of a family's reference pipeline, and the geometry that maps boxes
// back: NanoDet (cv2.imread, warpPerspective with get_resize_matrix(keep_ratio=True), (x - mean) / std),
// YOLOX (cv2.imread, cv2.resize INTER_LINEAR to (int(w r), int(h r)) at the top-left of a 114 canvas) and
// torchvision's RetinaNet (PIL RGB, GeneralizedRCNNTransform), in the pipeline's ResizeSpec / PixelFormat /
// PreparedInput terms (image.ts; a type-only import).
import { cvResizeLinear } from './cv-resize.ts';
import type { PixelFormat, PreparedInput, ResizeSpec } from './image.ts';
import { cvWarpPerspective, nanodetResizeMatrix } from './cv-warp.ts';
import { decodeImage, type DecodedImage, type DecodeOptions } from './decode.ts';
import { normalisedPlanes, rcnnResizeSize, upsampleBilinearPadded } from './torch-resize.ts';

const f32 = Math.fround;

/** Decodes `path` as the family's reader does and builds its network input. */
export async function prepareReferenceInput(path: string, spec: ResizeSpec, format: PixelFormat): Promise<PreparedInput> {
  const image = await decodeImage(path, referenceDecoding(spec));
  return referenceInputOf(image, spec, format);
}

/**
 * How the family's reader decodes: PIL (torchvision) ignores the EXIF orientation; cv2.imread applies it.
 * Pixels stay RGB; the tensor layout picks the family's channel order (so the cv2 families share pixels).
 */
export function referenceDecoding(spec: ResizeSpec): DecodeOptions {
  return { order: 'rgb', exifRotate: spec.mode !== 'keep-ratio-pad' };
}

export function referenceInputOf(image: DecodedImage, spec: ResizeSpec, format: PixelFormat): PreparedInput {
  const { width, height, data } = image;
  switch (spec.mode) {
    case 'keep-ratio-pad': {
      const size = rcnnResizeSize(width, height, spec.minSize, spec.maxSize);
      const padW = Math.ceil(size.contentWidth / spec.stride) * spec.stride;
      const padH = Math.ceil(size.contentHeight / spec.stride) * spec.stride;
      const planes = normalisedPlanes(data, width, height);
      const tensor = upsampleBilinearPadded(planes, 3, height, width, size.contentHeight, size.contentWidth, padH, padW);
      if (format.order === 'bgr') swapPlanes(tensor, padW * padH);
      return {
        tensor,
        dims: [1, 3, padH, padW],
        contentWidth: size.contentWidth,
        contentHeight: size.contentHeight,
        // transform.py resize_boxes: per-axis ratios original / resized.
        transform: { scaleX: size.contentWidth / width, scaleY: size.contentHeight / height, offsetX: 0, offsetY: 0, imageWidth: width, imageHeight: height },
      };
    }
    case 'letterbox': {
      if (spec.align === 'center') {
        // NanoDet: one warp does the resize and the fractional centring; boxes go back through the inverse.
        const m = nanodetResizeMatrix(width, height, spec.width, spec.height);
        const pixels = cvWarpPerspective(data, width, height, 3, m, spec.width, spec.height);
        if (spec.padValue !== 0) throw new Error('the NanoDet warp pads with 0 (cv2.warpPerspective borderValue)');
        const ratio = m[0];
        return {
          tensor: planar(pixels, spec.width, spec.height, spec.width, spec.height, format, 0),
          dims: [1, 3, spec.height, spec.width],
          contentWidth: Math.min(spec.width, Math.round(width * ratio)),
          contentHeight: Math.min(spec.height, Math.round(height * ratio)),
          transform: { scaleX: ratio, scaleY: ratio, offsetX: m[2], offsetY: m[5], imageWidth: width, imageHeight: height },
        };
      }
      // YOLOX data_augment.py preproc: r = min(H / h, W / w); cv2.resize to (int(w r), int(h r)); boxes / r.
      const r = Math.min(spec.height / height, spec.width / width);
      const cw = Math.max(1, Math.min(spec.width, Math.trunc(width * r)));
      const ch = Math.max(1, Math.min(spec.height, Math.trunc(height * r)));
      const pixels = cvResizeLinear(data, width, height, 3, cw, ch);
      return {
        tensor: planar(pixels, cw, ch, spec.width, spec.height, format, spec.padValue),
        dims: [1, 3, spec.height, spec.width],
        contentWidth: cw,
        contentHeight: ch,
        transform: { scaleX: r, scaleY: r, offsetX: 0, offsetY: 0, imageWidth: width, imageHeight: height },
      };
    }
    case 'stretch': {
      const pixels = cvResizeLinear(data, width, height, 3, spec.width, spec.height);
      return {
        tensor: planar(pixels, spec.width, spec.height, spec.width, spec.height, format, 0),
        dims: [1, 3, spec.height, spec.width],
        contentWidth: spec.width,
        contentHeight: spec.height,
        transform: { scaleX: spec.width / width, scaleY: spec.height / height, offsetX: 0, offsetY: 0, imageWidth: width, imageHeight: height },
      };
    }
  }
}

/**
 * Interleaved RGB pixels (w x h, at the top-left) -> planar float32 of inputW x inputH in the format's channel
 * order; the rest of the canvas is `padValue` (a pixel value). (v - mean) / std in float32, as the NanoDet
 * fixtures (data/coco/fixtures/preprocess) hold it: f32(f32(v - mean) / std).
 */
function planar(rgb: Uint8Array, w: number, h: number, inputW: number, inputH: number, format: PixelFormat, padValue: number): Float32Array {
  const plane = inputW * inputH;
  const out = new Float32Array(3 * plane);
  const source = format.order === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const mean = f32(format.mean[c]);
    const std = f32(format.std[c]);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = f32(f32(v - mean) / std);
    const base = c * plane;
    out.fill(table[padValue], base, base + plane);
    const s = source[c];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) out[base + y * inputW + x] = table[rgb[3 * (y * w + x) + s]];
    }
  }
  return out;
}

function swapPlanes(tensor: Float32Array, plane: number): void {
  const red = tensor.slice(0, plane);
  tensor.copyWithin(0, 2 * plane, 3 * plane);
  tensor.set(red, 2 * plane);
}
