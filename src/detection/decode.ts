// Image file -> interleaved 8-bit pixels, as the family's reference reader sees them. sharp decodes (the same
// libjpeg-turbo that cv2.imread and PIL use); embedded colour profiles are ignored, as cv2.imread and PIL's
// Image.convert("RGB") ignore them (sharp would otherwise convert Adobe RGB and camera profiles to sRGB).
import { existsSync } from 'node:fs';
import sharp, { type OutputInfo } from 'sharp';
import { fileError } from '../errors.ts';

/** 3-channel interleaved pixels. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Channel order of the pixels: cv2.imread gives BGR, PIL RGB. */
  order: 'rgb' | 'bgr';
  /**
   * Apply the EXIF orientation: OpenCV >= 3.1 imread does for IMREAD_COLOR (loadsave.cpp ApplyExifOrientation);
   * PIL's Image.open does not.
   */
  exifRotate: boolean;
}

/** Decodes an image file; a missing or undecodable file raises an InputError naming it. */
export async function decodeImage(path: string, options: DecodeOptions): Promise<DecodedImage> {
  if (!existsSync(path)) throw fileError(path, 'image not found');
  let raw: { data: Buffer; info: OutputInfo };
  try {
    let image = sharp(path, { ignoreIcc: true, sequentialRead: true });
    if (options.exifRotate) image = image.autoOrient();
    raw = await image.raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw fileError(path, `cannot decode image (${why.split('\n')[0]})`);
  }
  const { width, height, channels } = raw.info;
  return { data: toThreeChannels(raw.data, width * height, channels, options.order), width, height };
}

/**
 * 1-4 channel pixels -> 3 channels in `order`: grey is repeated (cv2 IMREAD_COLOR and PIL convert("RGB") do),
 * alpha is dropped.
 */
export function toThreeChannels(src: Uint8Array, pixels: number, channels: number, order: 'rgb' | 'bgr'): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  const grey = channels < 3;
  const [r, b] = order === 'rgb' ? [0, 2] : [2, 0];
  for (let p = 0, s = 0, d = 0; p < pixels; p++, s += channels, d += 3) {
    if (grey) {
      out[d] = out[d + 1] = out[d + 2] = src[s];
    } else {
      out[d + r] = src[s];
      out[d + 1] = src[s + 1];
      out[d + b] = src[s + 2];
    }
  }
  return out;
}
