// NanoDet (GFL head, v0.x export): per level, sigmoid class scores [1, N, 80] and l,t,r,b distances [1, N, 4]
// in stride units (the graph already applies sigmoid and the distribution integral: see the Sigmoid and the
// Softmax+MatMul before cls_pred_stride_* / dis_pred_stride_*).
import { BoxListBuilder, clampCoord, type BoxList } from '../boxes.ts';
import { COCO80_CATEGORY_IDS } from '../coco-classes.ts';
import { batchedNms, selectBoxes } from '../nms.ts';
import { shapeProblem, type DecodeOptions, type DetectorFamily, type InputGeometry, type OutputTensor } from './types.ts';

export const NANODET_STRIDES = [8, 16, 32] as const;
const NUM_CLASSES = 80;

function levelSize(geometry: InputGeometry, stride: number): [number, number] {
  // nanodet gfl_head.py: featmap sizes are ceil(input / stride).
  return [Math.ceil(geometry.inputHeight / stride), Math.ceil(geometry.inputWidth / stride)];
}

export const nanodet: DetectorFamily = {
  name: 'nanodet',
  defaultSize: 320,
  staticInput: true,
  // NanoDet config `normalize: [[103.53, 116.28, 123.675], [57.375, 57.12, 58.395]]` on BGR (cv2) pixels;
  // the graph's first node is a Conv on the raw input, so the normalisation is ours to do.
  pixelFormat: { order: 'bgr', mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] },
  // nanodet/model/head/gfl_head.py get_bboxes: multiclass_nms(score_thr=0.05, iou_threshold=0.6, max_num=100).
  defaults: { scoreThreshold: 0.05, nmsThreshold: 0.6, maxDetections: 100 },
  // NanoDet's COCO evaluation (config/legacy_v0.x_configs/nanodet-m.yml: val keep_ratio: True; warp.py
  // get_resize_matrix): keep the aspect ratio, centre the image (fractional offset), black (0) border before
  // normalisation, made with the reference's warpPerspective. Measured on coco206 (nanodet_m_320 at 320 / 416):
  // 23.07 / 24.96 AP; the former sharp resize gave 23.5 / 26.4 (a plain stretch 22.7 / 26.0).
  resizeSpec: (size) => ({ mode: 'letterbox', height: size, width: size, padValue: 0, align: 'center' }),
  representativeInput: (size) => [size, size],
  outputNames: NANODET_STRIDES.flatMap((s) => [`cls_pred_stride_${s}`, `dis_pred_stride_${s}`]),
  clipToImage: true,
  categoryId: (label) => COCO80_CATEGORY_IDS[label],

  checkOutputs(outputs, geometry) {
    const missing = nanodet.outputNames.filter((name) => !outputs[name]);
    if (missing.length > 0) return [`has no output named ${missing.join(', ')}`];
    const problems: string[] = [];
    for (const stride of NANODET_STRIDES) {
      const [h, w] = levelSize(geometry, stride);
      const cls = shapeProblem(`cls_pred_stride_${stride}`, outputs[`cls_pred_stride_${stride}`], [1, h * w, NUM_CLASSES]);
      const dis = shapeProblem(`dis_pred_stride_${stride}`, outputs[`dis_pred_stride_${stride}`], [1, h * w, 4]);
      if (cls) problems.push(cls);
      if (dis) problems.push(dis);
    }
    return problems;
  },

  decode(outputs: Record<string, OutputTensor>, geometry: InputGeometry, options: DecodeOptions): BoxList {
    const candidates = new BoxListBuilder(1024);
    // Scores are float32; torch compares them with the threshold as a float32 too.
    const threshold = Math.fround(options.scoreThreshold);
    for (const stride of NANODET_STRIDES) {
      const [h, w] = levelSize(geometry, stride);
      const scores = outputs[`cls_pred_stride_${stride}`].data;
      const distances = outputs[`dis_pred_stride_${stride}`].data;
      for (let p = 0; p < h * w; p++) {
        let any = false;
        for (let c = 0; c < NUM_CLASSES; c++) if (scores[p * NUM_CLASSES + c] > threshold) { any = true; break; }
        if (!any) continue;
        // Distances are measured from the cell centre ((col + 0.5) * stride): the corner halves the AP.
        const cx = ((p % w) + 0.5) * stride;
        const cy = (Math.floor(p / w) + 0.5) * stride;
        // distance2bbox(points, distances, max_shape=input shape): clamp to the input.
        const x1 = clampCoord(cx - distances[4 * p] * stride, geometry.inputWidth);
        const y1 = clampCoord(cy - distances[4 * p + 1] * stride, geometry.inputHeight);
        const x2 = clampCoord(cx + distances[4 * p + 2] * stride, geometry.inputWidth);
        const y2 = clampCoord(cy + distances[4 * p + 3] * stride, geometry.inputHeight);
        // multiclass_nms: every (box, class) pair over the threshold is a candidate.
        for (let c = 0; c < NUM_CLASSES; c++) {
          const s = scores[p * NUM_CLASSES + c];
          if (s > threshold) candidates.push(x1, y1, x2, y2, s, c);
        }
      }
    }
    const list = candidates.build();
    return selectBoxes(list, batchedNms(list, options.nmsThreshold, options.maxDetections));
  },
};
