// YOLOX (decode_in_inference off at export): output [1, N, 85] = per grid cell x, y (offsets in cells), w, h
// (log sizes in cells), objectness and 80 class scores. The graph applies sigmoid to objectness and classes
// (Sigmoid nodes before the last Concat) but not to the box terms.
import { BoxListBuilder, type BoxList } from '../boxes.ts';
import { COCO80_CATEGORY_IDS } from '../coco-classes.ts';
import { batchedNms, selectBoxes } from '../nms.ts';
import { formatDims, type DecodeOptions, type DetectorFamily, type InputGeometry, type OutputTensor } from './types.ts';

export const YOLOX_STRIDES = [8, 16, 32] as const;
const NUM_CLASSES = 80;
const OUTPUT = 'output';

function positions(geometry: InputGeometry): number {
  return YOLOX_STRIDES.reduce((n, s) => n + Math.floor(geometry.inputHeight / s) * Math.floor(geometry.inputWidth / s), 0);
}

export const yolox: DetectorFamily = {
  name: 'yolox',
  defaultSize: 416,
  staticInput: true,
  // YOLOX >= 0.1.1 (ValTransform, legacy=False): BGR pixels 0-255 as cv2 reads them, no normalisation;
  // the graph starts with the Focus slices on the raw input.
  pixelFormat: { order: 'bgr', mean: [0, 0, 0], std: [1, 1, 1] },
  // yolox/exp/yolox_base.py: test_conf = 0.01, nmsthre = 0.65 (class-wise batched_nms in utils/boxes.py).
  defaults: { scoreThreshold: 0.01, nmsThreshold: 0.65, maxDetections: 100 },
  resizeSpec: (size) => ({ mode: 'letterbox', height: size, width: size, padValue: 114, align: 'top-left' }),
  representativeInput: (size) => [size, size],
  outputNames: [OUTPUT],
  // YOLOX's COCO evaluator writes boxes unclipped.
  clipToImage: false,
  categoryId: (label) => COCO80_CATEGORY_IDS[label],

  checkOutputs(outputs, geometry) {
    const out = outputs[OUTPUT];
    if (!out) return [`has no output named ${OUTPUT}`];
    const expected = [1, positions(geometry), 5 + NUM_CLASSES];
    const ok = out.dims.length === 3 && out.dims.every((d, i) => d === expected[i]);
    return ok ? [] : [`output ${OUTPUT} has shape ${formatDims(out.dims)}, expected ${formatDims(expected)}`];
  },

  decode(outputs: Record<string, OutputTensor>, geometry: InputGeometry, options: DecodeOptions): BoxList {
    const data = outputs[OUTPUT].data;
    const row = 5 + NUM_CLASSES;
    const candidates = new BoxListBuilder(512);
    const threshold = Math.fround(options.scoreThreshold); // float32 scores, compared as torch does
    let p = 0;
    for (const stride of YOLOX_STRIDES) {
      const h = Math.floor(geometry.inputHeight / stride);
      const w = Math.floor(geometry.inputWidth / stride);
      for (let cell = 0; cell < h * w; cell++, p++) {
        const o = p * row;
        const objectness = data[o + 4];
        if (objectness < threshold) continue; // score = obj * cls <= obj
        // utils/boxes.py postprocess: one label per box, the best class; score = obj * class score.
        let best = 0;
        for (let c = 1; c < NUM_CLASSES; c++) if (data[o + 5 + c] > data[o + 5 + best]) best = c;
        const score = objectness * data[o + 5 + best];
        if (!(Math.fround(score) >= threshold)) continue;
        // models/yolo_head.py decode_outputs: centre (x + col) * stride, size exp(w) * stride.
        const cx = (data[o] + (cell % w)) * stride;
        const cy = (data[o + 1] + Math.floor(cell / w)) * stride;
        const bw = Math.exp(data[o + 2]) * stride;
        const bh = Math.exp(data[o + 3]) * stride;
        candidates.push(cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, score, best);
      }
    }
    const list = candidates.build();
    return selectBoxes(list, batchedNms(list, options.nmsThreshold, options.maxDetections));
  },
};
