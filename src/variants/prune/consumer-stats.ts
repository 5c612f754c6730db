// Sufficient statistics (X^T X, X^T Y) of every conv that reads prunable channels, on the original model:
// when one group alone is pruned, each such conv sees exactly its original inputs minus the removed channels,
// so its least-squares refit for any choice of kept channels is a solve on a sub-block of these statistics.
import type { Model } from '../../onnx/proto.ts';
import type { CalibrationImage } from '../calibration.ts';
import { readConv, type ConvSpec } from '../conv-spec.ts';
import { capture } from '../fit.ts';
import { accumulate, emptyStats, gatherOutputs, samplePositions, symmetrize, type ConvStats } from '../fit-stats.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import type { ChannelAnalysis } from './channel-groups.ts';

export interface ConsumerStats {
  node: string;
  conv: ConvSpec;
  /** Features per input channel: 1 for a 1x1 conv (centre tap), kh*kw otherwise. */
  taps: number;
  /** Root ids of the input channels, in order. */
  layout: number[];
  stats: ConvStats;
}

export async function consumerStats(model: Model, analysis: ChannelAnalysis, images: CalibrationImage[], positionsPerImage: number, threads = 1): Promise<Map<string, ConsumerStats>> {
  const editor = new GraphEditor(model);
  const byName = new Map(model.graph.node.map((n) => [n.name ?? '', n]));
  const out = new Map<string, ConsumerStats>();
  for (const c of analysis.consumers) {
    const conv = readConv(editor, byName.get(c.node)!);
    const pointwise = conv.dims[2] === 1 && conv.dims[3] === 1;
    const stats = emptyStats(conv, pointwise ? 'centre' : 'full');
    out.set(c.node, { node: c.node, conv, taps: pointwise ? 1 : conv.dims[2] * conv.dims[3], layout: c.layout, stats });
  }
  const list = [...out.values()];
  const tensors = [...new Set(list.flatMap((s) => [s.conv.input, s.conv.output]))];
  await capture(model, tensors, images, threads, (i, maps) => {
    list.forEach((s, k) => {
      const y = maps[s.conv.output]!;
      const [, , h, w] = y.dims as [number, number, number, number];
      const positions = samplePositions(h * w, positionsPerImage, 7919 * (k + 1) + i);
      accumulate(s.stats, s.conv, maps[s.conv.input]!, w, positions, gatherOutputs(y, positions));
    });
  });
  for (const s of list) symmetrize(s.stats);
  return out;
}
