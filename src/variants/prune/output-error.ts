// How far a pruned model's outputs are from the original's, per kind of output: class scores (what the
// decoder ranks: sigmoid scores; YOLOX objectness x class) and box terms, weighted by the original's best
// score at each position so that boxes nobody keeps do not count. Averaging over whole tensors instead let
// box offsets (many values, well reconstructed) hide damage to the class scores.
import type { FamilyName, OutputTensor } from '../../detection/families/index.ts';

interface Dense {
  /** positions x classes */
  scores: Float32Array;
  classes: number;
  /** positions x 4 */
  boxes: Float32Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function dense(family: FamilyName, out: Record<string, OutputTensor>): Dense {
  if (family === 'yolox') {
    const o = out['output']!;
    const rows = o.dims[1]!;
    const row = o.dims[2]!;
    const classes = row - 5;
    const scores = new Float32Array(rows * classes);
    const boxes = new Float32Array(rows * 4);
    for (let p = 0; p < rows; p++) {
      const obj = o.data[p * row + 4]!;
      for (let c = 0; c < classes; c++) scores[p * classes + c] = obj * o.data[p * row + 5 + c]!;
      boxes.set(o.data.subarray(p * row, p * row + 4), p * 4);
    }
    return { scores, classes, boxes };
  }
  const [scoreNames, boxNames, logits] = family === 'nanodet'
    ? [[8, 16, 32].map((s) => `cls_pred_stride_${s}`), [8, 16, 32].map((s) => `dis_pred_stride_${s}`), false]
    : [['cls_logits'], ['bbox_regression'], true];
  const cat = (names: string[]) => {
    const parts = names.map((n) => out[n]!.data);
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  };
  const scores = cat(scoreNames);
  if (logits) for (let i = 0; i < scores.length; i++) scores[i] = sigmoid(scores[i]!);
  const classes = out[scoreNames[0]!]!.dims.at(-1)!;
  return { scores, classes, boxes: cat(boxNames) };
}

/** Accumulates the relative errors of one model's outputs against the original's, over images. */
export class OutputErrorMeter {
  private scoreDiff = 0;
  private scoreNorm = 0;
  private boxDiff = 0;
  private boxW = 0;
  private boxWx = new Float64Array(4);
  private boxWxx = new Float64Array(4);
  constructor(private readonly family: FamilyName) {}

  add(original: Record<string, OutputTensor>, pruned: Record<string, OutputTensor>): void {
    const a = dense(this.family, original);
    const b = dense(this.family, pruned);
    for (let i = 0; i < a.scores.length; i++) {
      this.scoreDiff += (b.scores[i]! - a.scores[i]!) ** 2;
      this.scoreNorm += a.scores[i]! ** 2;
    }
    const positions = a.boxes.length / 4;
    for (let p = 0; p < positions; p++) {
      let w = 0;
      for (let c = 0; c < a.classes; c++) w = Math.max(w, a.scores[p * a.classes + c]!);
      if (w === 0) continue;
      this.boxW += w;
      for (let d = 0; d < 4; d++) {
        const x = a.boxes[p * 4 + d]!;
        this.boxDiff += w * (b.boxes[p * 4 + d]! - x) ** 2;
        this.boxWx[d]! += w * x;
        this.boxWxx[d]! += w * x * x;
      }
    }
  }

  /** Relative squared errors: scores against their energy, boxes against their score-weighted variance. */
  result(): { score: number; box: number; total: number } {
    let variance = 0;
    for (let d = 0; d < 4; d++) variance += this.boxWxx[d]! - this.boxWx[d]! ** 2 / Math.max(this.boxW, 1e-12);
    const score = this.scoreNorm > 0 ? this.scoreDiff / this.scoreNorm : 0;
    const box = variance > 0 ? this.boxDiff / variance : 0;
    return { score, box, total: score + box };
  }
}
