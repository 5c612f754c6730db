// Least-squares refit of the convs that read pruned channels (He et al. 2017, ThiNet): each conv's kept
// outputs are refitted to the original model's outputs, with inputs taken from the already-pruned and
// already-refitted model (fitted in waves along the graph, as fit.ts does) so that errors do not pile up.
import { readConv, type ConvLayer } from '../conv-spec.ts';
import type { Model } from '../../onnx/proto.ts';
import { float32Tensor } from '../../onnx/tensor.ts';
import type { CalibrationImage } from '../calibration.ts';
import { capture } from '../fit.ts';
import { accumulate, emptyStats, gatherOutputs, samplePositions, symmetrize } from '../fit-stats.ts';
import { refitFull } from '../fit-solve.ts';
import { solveSpd } from '../linalg.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import { REFIT_RIDGE, type Refit } from './channel-choice.ts';

/** Writes a conv's weights as fresh initializers and points the node at them. */
export function writeConvWeights(editor: GraphEditor, nodeName: string, dims: readonly number[], weight: Float32Array, bias: Float32Array): void {
  const node = editor.model.graph.node.find((n) => n.name === nodeName);
  if (!node) throw new Error(`no conv ${nodeName}`);
  const w = editor.uniqueName(`${nodeName}/refit.weight`);
  const b = editor.uniqueName(`${nodeName}/refit.bias`);
  editor.addInitializer(float32Tensor(w, dims, weight));
  editor.addInitializer(float32Tensor(b, [dims[0]!], bias));
  node.input = [node.input![0]!, w, b];
}

/** Puts a refit (rows = kept input features then bias, columns = original outputs) into a pruned conv. */
export function writeRefit(editor: GraphEditor, nodeName: string, refit: Refit, keptOut: readonly number[], kernel: [number, number]): void {
  const taps = kernel[0] * kernel[1];
  const f = refit.features.length;
  const m = refit.beta.length / (f + 1);
  const weight = new Float32Array(keptOut.length * f);
  const bias = new Float32Array(keptOut.length);
  keptOut.forEach((o, x) => {
    for (let r = 0; r < f; r++) weight[x * f + r] = refit.beta[r * m + o]!;
    bias[x] = refit.beta[f * m + o]!;
  });
  writeConvWeights(editor, nodeName, [keptOut.length, f / taps, kernel[0], kernel[1]], weight, bias);
}

export interface ReconstructTarget {
  node: string;
  /** Original output channels this conv still writes. */
  keptOut: number[];
}

export interface ReconstructOptions {
  positionsPerImage?: number;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Refits `targets` in `pruned` (edited in place) against `original`; returns the number of waves. */
export async function reconstruct(original: Model, pruned: GraphEditor, targets: ReconstructTarget[], images: CalibrationImage[], options: ReconstructOptions = {}): Promise<number> {
  const perImage = options.positionsPerImage ?? 192;
  const threads = options.threads ?? 1;
  const nodeOf = (editor: GraphEditor, name: string) => editor.model.graph.node.find((n) => n.name === name)!;
  const outputs = targets.map((t) => nodeOf(pruned, t.node).output![0]!);
  // Original outputs (kept channels) at sampled positions, per target and image.
  const samples: { positions: Int32Array; outW: number; y: Float32Array }[][] = targets.map(() => []);
  await capture(original, outputs, images, threads, (i, maps) => {
    targets.forEach((t, k) => {
      const y = maps[outputs[k]!]!;
      const [, c, h, w] = y.dims as [number, number, number, number];
      const positions = samplePositions(h * w, perImage, 7919 * (k + 1) + i);
      const all = gatherOutputs(y, positions);
      const kept = new Float32Array(positions.length * t.keptOut.length);
      for (let s = 0; s < positions.length; s++) t.keptOut.forEach((o, x) => (kept[s * t.keptOut.length + x] = all[s * c + o]!));
      samples[k]![i] = { positions, outW: w, y: kept };
    });
  });
  const pending = new Set(targets.map((_, k) => k));
  let waves = 0;
  let done = 0;
  while (pending.size > 0) {
    const outs = new Map([...pending].map((k) => [outputs[k]!, k]));
    const wave = [...pending].filter((k) => {
      const deps = pruned.ancestorsOf(nodeOf(pruned, targets[k]!.node).input![0]!);
      return ![...outs].some(([o, j]) => j !== k && deps.has(o));
    });
    if (wave.length === 0) throw new Error('reconstruct: targets depend on each other in a cycle');
    const convs: ConvLayer[] = wave.map((k) => readConv(pruned, nodeOf(pruned, targets[k]!.node)));
    const stats = convs.map((c) => emptyStats(c, c.dims[2] === 1 && c.dims[3] === 1 && c.group === 1 ? 'centre' : 'full'));
    const inputs = wave.map((k) => nodeOf(pruned, targets[k]!.node).input![0]!);
    await capture(pruned.model, [...new Set(inputs)], images, threads, (i, maps) => {
      wave.forEach((k, x) => {
        const s = samples[k]![i]!;
        accumulate(stats[x]!, convs[x]!, maps[inputs[x]!]!, s.outW, s.positions, s.y);
      });
    });
    wave.forEach((k, x) => {
      const conv = convs[x]!;
      const st = stats[x]!;
      symmetrize(st);
      // Rows = input features then the constant, columns = outputs: a 1x1 conv of group 1 is plain least squares
      // on all its inputs; a conv of full geometry (group 1) ridge least squares towards its current weights.
      const sol = st.kind === 'centre' ? solveSpd(st.xtx, st.xty, st.dim, st.cout, REFIT_RIDGE) : refitFull(conv, st);
      const per = st.dim - 1;
      const weight = new Float32Array(st.cout * per);
      const bias = new Float32Array(st.cout);
      for (let o = 0; o < st.cout; o++) {
        for (let f = 0; f < per; f++) weight[o * per + f] = sol[f * st.cout + o]!;
        bias[o] = sol[per * st.cout + o]!;
      }
      writeConvWeights(pruned, targets[k]!.node, conv.dims, weight, bias);
      pending.delete(k);
      options.onProgress?.(++done, targets.length);
    });
    waves++;
  }
  return waves;
}
