// Image -> network input tensor: the resize modes, pixel formats and box geometry of the families. The
// pixels themselves are made as each family's reference makes them (detection/reference-input.ts: sharp
// decodes, OpenCV's and torch's resize arithmetic is reproduced).
import { nanodetResizeMatrix } from '../detection/cv-warp.ts';
import { prepareReferenceInput } from '../detection/reference-input.ts';
import { rcnnResizeSize } from '../detection/torch-resize.ts';

/** How an image becomes an input of a given size. */
export type ResizeSpec =
  /** torchvision GeneralizedRCNNTransform: shorter side to minSize unless the longer exceeds maxSize;
   *  then zero padding (after normalisation) at the bottom/right up to a multiple of `stride`. */
  | { mode: 'keep-ratio-pad'; minSize: number; maxSize: number; stride: number }
  /**
   * ratio = min(H/h, W/w), resize, place on an HxW canvas of padValue (a pixel value, before normalisation):
   * at the top-left (YOLOX ValTransform) or centred (NanoDet's warp with keep_ratio).
   */
  | { mode: 'letterbox'; height: number; width: number; padValue: number; align: 'top-left' | 'center' }
  /** Plain resize to HxW, aspect ratio not kept (NanoDet with keep_ratio off). */
  | { mode: 'stretch'; height: number; width: number };

/** Channel order and per-channel normalisation (in tensor channel order): value = (pixel - mean) / std. */
export interface PixelFormat {
  order: 'rgb' | 'bgr';
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** Maps input (network) coordinates back to image coordinates: image = (input - offset) / scale. */
export interface BoxTransform {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
  imageWidth: number;
  imageHeight: number;
}

export interface PreparedInput {
  tensor: Float32Array;
  /** [1, 3, H, W] */
  dims: [number, number, number, number];
  /** Size of the resized image content inside the (possibly padded) input. */
  contentWidth: number;
  contentHeight: number;
  transform: BoxTransform;
}

interface Geometry {
  contentWidth: number;
  contentHeight: number;
  /** Where the content starts inside the input. */
  offsetX: number;
  offsetY: number;
  inputWidth: number;
  inputHeight: number;
  scaleX: number;
  scaleY: number;
}

/** The resized content size and the padded input size for an image of width x height. */
export function resizeGeometry(width: number, height: number, spec: ResizeSpec): Geometry {
  switch (spec.mode) {
    case 'keep-ratio-pad': {
      // torchvision transform.py _resize_image_and_masks: the float32 scale, floor(side * scale) (torch-resize.ts).
      const size = rcnnResizeSize(width, height, spec.minSize, spec.maxSize);
      const contentWidth = Math.max(1, size.contentWidth);
      const contentHeight = Math.max(1, size.contentHeight);
      return {
        contentWidth,
        contentHeight,
        offsetX: 0,
        offsetY: 0,
        inputWidth: Math.ceil(contentWidth / spec.stride) * spec.stride,
        inputHeight: Math.ceil(contentHeight / spec.stride) * spec.stride,
        // torchvision maps boxes back with per-axis ratios resized/original (transform.py resize_boxes).
        scaleX: contentWidth / width,
        scaleY: contentHeight / height,
      };
    }
    case 'letterbox': {
      // YOLOX data_augment.py preproc: r = min(H/h, W/w); resized size int(w*r) x int(h*r); boxes / r.
      // NanoDet warp.py get_resize_matrix(keep_ratio=True): the same ratio, centred with fractional offsets.
      const r = Math.min(spec.height / height, spec.width / width);
      const contentWidth = Math.max(1, Math.min(spec.width, Math.floor(width * r)));
      const contentHeight = Math.max(1, Math.min(spec.height, Math.floor(height * r)));
      const m = nanodetResizeMatrix(width, height, spec.width, spec.height);
      const centred = spec.align === 'center';
      return {
        contentWidth,
        contentHeight,
        offsetX: centred ? m[2] : 0,
        offsetY: centred ? m[5] : 0,
        inputWidth: spec.width,
        inputHeight: spec.height,
        scaleX: r,
        scaleY: r,
      };
    }
    case 'stretch':
      return {
        contentWidth: spec.width,
        contentHeight: spec.height,
        offsetX: 0,
        offsetY: 0,
        inputWidth: spec.width,
        inputHeight: spec.height,
        scaleX: spec.width / width,
        scaleY: spec.height / height,
      };
  }
}

/**
 * Decodes an image file and turns it into the network input the family's reference code builds (see
 * detection/reference-input.ts). Missing or undecodable files raise an InputError naming the file.
 */
export async function prepareImage(path: string, spec: ResizeSpec, format: PixelFormat): Promise<PreparedInput> {
  return prepareReferenceInput(path, spec, format);
}

/**
 * Interleaved 8-bit RGB (width x height) -> normalised planar tensor of inputWidth x inputHeight; the area
 * outside the pixels stays 0 (torchvision pads with zeros after normalisation).
 */
export function toNchw(
  rgb: Uint8Array,
  width: number,
  height: number,
  inputWidth: number,
  inputHeight: number,
  format: PixelFormat,
): Float32Array {
  const plane = inputWidth * inputHeight;
  const out = new Float32Array(3 * plane);
  // Source byte offset of each tensor channel inside an interleaved RGB pixel.
  const [s0, s1, s2] = format.order === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const [m0, m1, m2] = format.mean;
  const [k0, k1, k2] = format.std.map((v) => 1 / v);
  // One pass over the pixels, writing the three planes side by side.
  for (let y = 0; y < height; y++) {
    let src = y * width * 3;
    let dst = y * inputWidth;
    const end = dst + width;
    for (; dst < end; dst++, src += 3) {
      out[dst] = (rgb[src + s0] - m0) * k0;
      out[plane + dst] = (rgb[src + s1] - m1) * k1;
      out[2 * plane + dst] = (rgb[src + s2] - m2) * k2;
    }
  }
  return out;
}
