// The reference kernels on small cases worked out by hand from OpenCV's and torch's formulas.
import { describe, expect, it } from 'vitest';
import { cvResizeLinear } from '../../src/detection/cv-resize.ts';
import { cvWarpPerspective, invert3, nanodetResizeMatrix, type Matrix3 } from '../../src/detection/cv-warp.ts';
import { toThreeChannels } from '../../src/detection/decode.ts';
import { encodeNpy, parseNpy } from '../../src/detection/npy.ts';
import { rcnnResizeSize, upsampleBilinearPadded } from '../../src/detection/torch-resize.ts';

describe('cv2.resize INTER_LINEAR', () => {
  it('upsamples [0, 255] to 4 columns on the half-pixel grid with 11-bit weights', () => {
    // dx=0: fx=-0.25 -> clamped to column 0; dx=1: fx=0.25 -> 255*512/2048 = 63.75 -> (x*2048 + 2^21) >> 22 = 64;
    // dx=2: fx=0.75 -> 191.25 -> 191; dx=3: fx=1.25 -> past the last column -> 255.
    expect([...cvResizeLinear(Uint8Array.from([0, 255]), 2, 1, 1, 4, 1)]).toEqual([0, 64, 191, 255]);
  });
  it('keeps channels apart', () => {
    const out = cvResizeLinear(Uint8Array.from([0, 100, 255, 200]), 2, 1, 2, 4, 1);
    expect([...out]).toEqual([0, 100, 64, 125, 191, 175, 255, 200]);
  });
  it('takes the area fast path for an exact 2x downscale: (sum of 2x2 + 2) >> 2', () => {
    expect([...cvResizeLinear(Uint8Array.from([10, 20, 30, 41]), 2, 2, 1, 1, 1)]).toEqual([25]);
  });
  it('copies at the same size', () => {
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect([...cvResizeLinear(src, 2, 1, 3, 2, 1)]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('NanoDet warp', () => {
  it('builds get_resize_matrix(keep_ratio=True): ratio, then a fractional centring offset', () => {
    expect(nanodetResizeMatrix(640, 480, 320, 320)).toEqual([0.5, 0, 0, 0, 0.5, 40, 0, 0, 1]);
    const m = nanodetResizeMatrix(639, 480, 320, 320);
    expect(m[0]).toBeCloseTo(320 / 639, 15);
    expect(m[5]).toBeCloseTo(25440 / 639, 12); // 160 - 240 * 320 / 639 = 39.81...
  });
  it('inverts a 3x3 matrix', () => {
    const m: Matrix3 = [2, 0, 3, 0, 4, 5, 0, 0, 1];
    expect(invert3(m).map((v) => Number(v.toFixed(12)))).toEqual([0.5, 0, -1.5, 0, 0.25, -1.25, 0, 0, 1]);
  });
  it('samples at M^-1 with 1/32-pixel offsets and a 0 border', () => {
    // Shift right by half a pixel: x=0 samples -0.5 (half outside -> 0 and half of 0), x=1 samples 0.5:
    // (0 * 16384 + 64 * 16384 + 2^14) >> 15 = 32.
    const out = cvWarpPerspective(Uint8Array.from([0, 64]), 2, 1, 1, [1, 0, 0.5, 0, 1, 0, 0, 0, 1], 2, 1);
    expect([...out]).toEqual([0, 32]);
    // The identity keeps the pixels; what falls outside the source is 0.
    const id = cvWarpPerspective(Uint8Array.from([9, 8, 7, 6]), 2, 2, 1, [1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 2);
    expect([...id]).toEqual([9, 8, 0, 7, 6, 0]);
  });
});

describe('torchvision resize', () => {
  it('computes the scale in float32 (reciprocal times size): 640x428 at 320 gives 478x319', () => {
    const s = rcnnResizeSize(640, 428, 320, 533);
    expect([s.contentWidth, s.contentHeight]).toEqual([478, 319]);
    expect(rcnnResizeSize(640, 480, 800, 1333)).toMatchObject({ contentWidth: 1066, contentHeight: 800 });
  });
  it('interpolates on the half-pixel grid (align_corners=False) and pads with 0', () => {
    // scale 0.5: sources max(0, -0.25) = 0, 0.25, 0.75, 1.25 (right tap clamped to the last column).
    const out = upsampleBilinearPadded(Float32Array.from([0, 1]), 1, 1, 2, 1, 4, 2, 8);
    expect([...out]).toEqual([0, 0.25, 0.75, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('decoding helpers and .npy', () => {
  it('repeats grey into three channels and swaps to BGR', () => {
    expect([...toThreeChannels(Uint8Array.from([7, 9]), 2, 1, 'bgr')]).toEqual([7, 7, 7, 9, 9, 9]);
    expect([...toThreeChannels(Uint8Array.from([1, 2, 3, 255]), 1, 4, 'bgr')]).toEqual([3, 2, 1]);
  });
  it('writes and reads a float32 .npy (header padded to 64 bytes)', () => {
    const bytes = encodeNpy(Float32Array.from([1.5, -2, 3]), [1, 3]);
    expect((bytes.readUInt16LE(8) + 10) % 64).toBe(0);
    expect(bytes.length).toBe(bytes.readUInt16LE(8) + 10 + 12);
    const back = parseNpy(bytes, 'x.npy');
    expect(back.shape).toEqual([1, 3]);
    expect([...back.data]).toEqual([1.5, -2, 3]);
    expect(() => parseNpy(Buffer.from('nope'), 'bad.npy')).toThrow(/bad\.npy: not a \.npy file/);
  });
});
