// torchvision RetinaNet (retinanet.py postprocess_detections, _utils.py BoxCoder): raw class logits
// [1, A, 91] (no sigmoid in the graph) and box deltas [1, A, 4] over the anchors of P3..P7 concatenated.
import { BoxListBuilder, clampCoord, type BoxList } from '../boxes.ts';
import { isCocoCategoryId } from '../coco-classes.ts';
import { batchedNms, selectBoxes, topKIndices } from '../nms.ts';
import { anchorLevels, cachedLevelAnchors } from './retinanet-anchors.ts';
import { shapeProblem, type DecodeOptions, type DetectorFamily, type InputGeometry, type OutputTensor } from './types.ts';

/** torchvision's RetinaNet has 91 class slots; the slot index is the COCO category id (0 and the gaps unused). */
export const RETINANET_CLASS_SLOTS = 91;
/** BoxCoder(weights=(1, 1, 1, 1)), bbox_xform_clip = log(1000 / 16). */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);
/** torchvision transform defaults: min_size 800, max_size 1333, size_divisible 32. */
export const RETINANET_MIN_SIZE = 800;
export const RETINANET_MAX_SIZE = 1333;
export const RETINANET_SIZE_DIVISIBLE = 32;

const CLS = 'cls_logits';
const BOX = 'bbox_regression';

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** The decoded boxes of chosen anchors: BoxCoder.decode_single with weights 1 and the exp clip. */
export function decodeDelta(anchors: Float32Array, a: number, deltas: Float32Array, d: number): [number, number, number, number] {
  const w = anchors[4 * a + 2] - anchors[4 * a];
  const h = anchors[4 * a + 3] - anchors[4 * a + 1];
  const cx = anchors[4 * a] + 0.5 * w;
  const cy = anchors[4 * a + 1] + 0.5 * h;
  const pcx = deltas[4 * d] * w + cx;
  const pcy = deltas[4 * d + 1] * h + cy;
  const pw = Math.exp(Math.min(deltas[4 * d + 2], BBOX_XFORM_CLIP)) * w;
  const ph = Math.exp(Math.min(deltas[4 * d + 3], BBOX_XFORM_CLIP)) * h;
  return [pcx - 0.5 * pw, pcy - 0.5 * ph, pcx + 0.5 * pw, pcy + 0.5 * ph];
}

export const retinanet: DetectorFamily = {
  name: 'retinanet',
  defaultSize: RETINANET_MIN_SIZE,
  staticInput: false,
  // torchvision GeneralizedRCNNTransform: RGB in [0, 1], ImageNet mean/std (here scaled to 0-255 pixels).
  pixelFormat: { order: 'rgb', mean: [0.485 * 255, 0.456 * 255, 0.406 * 255], std: [0.229 * 255, 0.224 * 255, 0.225 * 255] },
  // retinanet.py RetinaNet.__init__: score_thresh 0.05, nms_thresh 0.5, detections_per_img 300, topk_candidates 1000.
  defaults: { scoreThreshold: 0.05, nmsThreshold: 0.5, maxDetections: 300, topKPerLevel: 1000 },
  // The input size is the shorter side; the longer-side cap keeps torchvision's 1333/800 proportion.
  resizeSpec: (size) => ({
    mode: 'keep-ratio-pad',
    minSize: size,
    maxSize: Math.round((size * RETINANET_MAX_SIZE) / RETINANET_MIN_SIZE),
    stride: RETINANET_SIZE_DIVISIBLE,
  }),
  // MACs are reported at size x 1.5 size padded to 32 (800 -> 800x1216, 512 -> 512x768): the paper's and
  // DESIGN's reference shape; the padded shape of each image varies with its aspect ratio.
  representativeInput: (size) => [pad32(size), pad32(Math.round(size * 1.5))],
  outputNames: [CLS, BOX],
  clipToImage: true,
  categoryId: (label) => (isCocoCategoryId(label) ? label : undefined),

  checkOutputs(outputs, geometry) {
    const levels = anchorLevels(geometry.inputHeight, geometry.inputWidth);
    const anchors = levels.reduce((n, l) => n + l.count, 0);
    return [
      shapeProblem(CLS, outputs[CLS], [1, anchors, RETINANET_CLASS_SLOTS]),
      shapeProblem(BOX, outputs[BOX], [1, anchors, 4]),
    ].filter((p): p is string => p !== undefined);
  },

  decode(outputs: Record<string, OutputTensor>, geometry: InputGeometry, options: DecodeOptions): BoxList {
    const logits = outputs[CLS].data;
    const deltas = outputs[BOX].data;
    const minLogit = logit(options.scoreThreshold); // sigmoid(x) > t  <=>  x > logit(t)
    const candidates = new BoxListBuilder(1024);
    const levelAnchorSets = cachedLevelAnchors(geometry.inputHeight, geometry.inputWidth);
    anchorLevels(geometry.inputHeight, geometry.inputWidth).forEach((level, i) => {
      const first = level.start * RETINANET_CLASS_SLOTS;
      const last = first + level.count * RETINANET_CLASS_SLOTS;
      const top = topKIndices(logits, options.topKPerLevel ?? Infinity, first, last, minLogit);
      if (top.length === 0) return;
      const anchors = levelAnchorSets[i];
      for (const flat of top) {
        const anchor = Math.floor(flat / RETINANET_CLASS_SLOTS);
        const label = flat % RETINANET_CLASS_SLOTS;
        const [x1, y1, x2, y2] = decodeDelta(anchors, anchor - level.start, deltas, anchor);
        // clip_boxes_to_image(boxes, image_shape): the resized image, not the padded batch.
        candidates.push(
          clampCoord(x1, geometry.contentWidth),
          clampCoord(y1, geometry.contentHeight),
          clampCoord(x2, geometry.contentWidth),
          clampCoord(y2, geometry.contentHeight),
          1 / (1 + Math.exp(-logits[flat])),
          label,
        );
      }
    });
    const list = candidates.build();
    return selectBoxes(list, batchedNms(list, options.nmsThreshold, options.maxDetections));
  },
};

function pad32(n: number): number {
  return Math.ceil(n / RETINANET_SIZE_DIVISIBLE) * RETINANET_SIZE_DIVISIBLE;
}
