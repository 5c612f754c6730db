// torchvision's RetinaNet anchors, reproduced exactly (torchvision/models/detection/anchor_utils.py
// AnchorGenerator and retinanet.py _default_anchorgen), so that anchor i of the graph's output is anchor i here.

/** P3..P7 base sizes; per level the scales are (x, int(x * 2^(1/3)), int(x * 2^(2/3))) (truncated ints). */
export const RETINANET_BASE_SIZES = [32, 64, 128, 256, 512] as const;
export const RETINANET_ASPECT_RATIOS = [0.5, 1.0, 2.0] as const;
export const RETINANET_LEVELS = ['P3', 'P4', 'P5', 'P6', 'P7'] as const;
export const ANCHORS_PER_POSITION = RETINANET_ASPECT_RATIOS.length * 3;

export function anchorSizes(base: number): number[] {
  return [base, Math.trunc(base * 2 ** (1 / 3)), Math.trunc(base * 2 ** (2 / 3))];
}

/** Python/torch round(): half to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Zero-centred anchors of one level, [x1, y1, x2, y2] each, in torchvision's order: for each aspect ratio,
 * for each size (ws = (w_ratios[:, None] * scales[None, :]).view(-1)), computed in float32 and rounded.
 */
export function baseAnchors(sizes: readonly number[], ratios: readonly number[] = RETINANET_ASPECT_RATIOS): number[][] {
  const f = Math.fround;
  const out: number[][] = [];
  for (const ratio of ratios) {
    const hRatio = f(Math.sqrt(f(ratio)));
    const wRatio = f(1 / hRatio);
    for (const size of sizes) {
      const ws = f(wRatio * size);
      const hs = f(hRatio * size);
      out.push([-ws, -hs, ws, hs].map((v) => roundHalfEven(f(v / 2))));
    }
  }
  return out;
}

/** Output size of ResNet/FPN stride-2 stages (3x3 or 7x7 convs and a 3x3 max-pool, padded): ceil(n / 2). */
function halve(n: number, times: number): number {
  for (let i = 0; i < times; i++) n = Math.ceil(n / 2);
  return n;
}

export interface AnchorLevel {
  level: string;
  height: number;
  width: number;
  strideY: number;
  strideX: number;
  /** Index of the level's first anchor in the concatenated output. */
  start: number;
  count: number;
}

/** Feature-map sizes and anchor ranges of P3..P7 for a (padded) input of height x width. */
export function anchorLevels(inputHeight: number, inputWidth: number): AnchorLevel[] {
  const levels: AnchorLevel[] = [];
  let start = 0;
  RETINANET_LEVELS.forEach((level, i) => {
    const height = halve(inputHeight, 3 + i);
    const width = halve(inputWidth, 3 + i);
    // anchor_utils.py: strides = image_size // grid_size, per axis (P6/P7 strides are not exactly 64/128
    // when the input is not a multiple of 128).
    const strideY = Math.floor(inputHeight / height);
    const strideX = Math.floor(inputWidth / width);
    const count = height * width * ANCHORS_PER_POSITION;
    levels.push({ level, height, width, strideY, strideX, start, count });
    start += count;
  });
  return levels;
}

/** All anchors of a level as a flat [x1, y1, x2, y2] array: positions row-major, then the 9 base anchors. */
export function levelAnchors(level: AnchorLevel, levelIndex: number): Float32Array {
  const base = baseAnchors(anchorSizes(RETINANET_BASE_SIZES[levelIndex]));
  const out = new Float32Array(level.count * 4);
  let k = 0;
  for (let y = 0; y < level.height; y++) {
    for (let x = 0; x < level.width; x++) {
      const sx = x * level.strideX;
      const sy = y * level.strideY;
      for (const [x1, y1, x2, y2] of base) {
        out[k++] = sx + x1;
        out[k++] = sy + y1;
        out[k++] = sx + x2;
        out[k++] = sy + y2;
      }
    }
  }
  return out;
}

/** Anchors per input shape, kept for the few shapes a run meets (keep-ratio inputs vary with the aspect ratio). */
const anchorCache = new Map<string, Float32Array[]>();
const ANCHOR_CACHE_SHAPES = 16;

/** levelAnchors of every level of an input, cached by input shape. */
export function cachedLevelAnchors(inputHeight: number, inputWidth: number): Float32Array[] {
  const key = `${inputHeight}x${inputWidth}`;
  let anchors = anchorCache.get(key);
  if (!anchors) {
    anchors = anchorLevels(inputHeight, inputWidth).map((level, i) => levelAnchors(level, i));
    if (anchorCache.size >= ANCHOR_CACHE_SHAPES) anchorCache.delete(anchorCache.keys().next().value!);
    anchorCache.set(key, anchors);
  }
  return anchors;
}
