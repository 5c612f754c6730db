// IoU of boxes as pycocotools' maskUtils.iou computes it for [x, y, w, h] boxes (bbIou in common/maskApi.c):
// the intersection over the union, except against a crowd region, where the union is the detection's own area
// (a detection covering part of a crowd is not penalised for the rest of the crowd).

/**
 * Fills out[d * G + g] with the IoU of detection d and ground truth g, for the D detections starting at box
 * dtOffset of dtBox and the G ground truths starting at box gtOffset of gtBox. Same operations in the same order
 * as bbIou, so the doubles are identical.
 */
export function boxIouMatrix(
  dtBox: Float64Array, dtOffset: number, D: number,
  gtBox: Float64Array, gtCrowd: Uint8Array, gtOffset: number, G: number,
  out: Float64Array,
): void {
  for (let g = 0; g < G; g++) {
    const gb = (gtOffset + g) * 4;
    const gx = gtBox[gb], gy = gtBox[gb + 1], gw = gtBox[gb + 2], gh = gtBox[gb + 3];
    const ga = gw * gh;
    const crowd = gtCrowd[gtOffset + g] !== 0;
    for (let d = 0; d < D; d++) {
      const db = (dtOffset + d) * 4;
      const dx = dtBox[db], dy = dtBox[db + 1], dw = dtBox[db + 2], dh = dtBox[db + 3];
      const da = dw * dh;
      out[d * G + g] = 0;
      const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (w <= 0) continue;
      const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
      if (h <= 0) continue;
      const i = w * h;
      const u = crowd ? da : da + ga - i;
      out[d * G + g] = i / u;
    }
  }
}
