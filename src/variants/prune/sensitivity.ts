// Sensitivity of each channel group: the model's output error (output-error.ts) on calibration images when
// that group alone loses a fraction of its channels, chosen and refitted as the final plan would be (the
// consumers' refit is exact here: with one group pruned, their inputs are the original ones minus channels).
import type { Model } from '../../onnx/proto.ts';
import type { FamilyName, OutputTensor } from '../../detection/families/index.ts';
import { createDetectorSession } from '../../detection/session.ts';
import type { CalibrationImage } from '../calibration.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import { applyPlan, type PrunePlan } from './apply.ts';
import type { ChannelAnalysis, ChannelGroup } from './channel-groups.ts';
import { eliminate, type ChoiceMethod, type Elimination } from './channel-choice.ts';
import type { ConsumerStats } from './consumer-stats.ts';
import { OutputErrorMeter } from './output-error.ts';
import { writeRefit } from './reconstruct.ts';

export interface GroupSensitivity {
  group: number;
  /** Channels removed at each measured level. */
  counts: number[];
  errors: { score: number; box: number; total: number }[];
  elimination: Elimination;
}

/** Channels removed for each ratio (at least one kept; duplicates and zero dropped). */
export function levelCounts(channels: number, ratios: readonly number[]): number[] {
  const counts = ratios.map((r) => Math.min(channels - 1, Math.round(r * channels))).filter((c) => c > 0);
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** The model with `group` pruned by the first `count` channels of its elimination, consumers refitted. */
export function pruneOne(model: Model, analysis: ChannelAnalysis, stats: Map<string, ConsumerStats>, group: ChannelGroup, elimination: Elimination, count: number, refit: boolean): Model {
  const removed = new Set(elimination.order.slice(0, count));
  const plan: PrunePlan = new Map([[group.id, Array.from({ length: group.channels }, (_, c) => c).filter((c) => !removed.has(c))]]);
  const result = applyPlan(model, analysis, plan);
  if (!refit) return result.model;
  const editor = new GraphEditor(result.model);
  for (const [node, r] of elimination.refits.get(count) ?? []) {
    const s = stats.get(node)!;
    const keptOut = result.convs.get(node)?.keptOut ?? Array.from({ length: s.conv.dims[0] }, (_, o) => o);
    writeRefit(editor, node, r, keptOut, [s.conv.dims[2], s.conv.dims[3]]);
  }
  editor.removeDead();
  return editor.model;
}

export async function runOutputs(model: Model, images: CalibrationImage[], threads: number): Promise<Record<string, OutputTensor>[]> {
  const session = await createDetectorSession(model, 'pruned model', threads);
  try {
    const out: Record<string, OutputTensor>[] = [];
    for (const im of images) out.push(await session.run(im.tensor, im.dims));
    return out;
  } finally {
    await session.release();
  }
}

export async function outputError(family: FamilyName, reference: Record<string, OutputTensor>[], model: Model, images: CalibrationImage[], threads: number): Promise<{ score: number; box: number; total: number }> {
  const outs = await runOutputs(model, images, threads);
  const meter = new OutputErrorMeter(family);
  outs.forEach((o, i) => meter.add(reference[i]!, o));
  return meter.result();
}

export interface SensitivityOptions {
  family: FamilyName;
  ratios: readonly number[];
  method: ChoiceMethod;
  refit: boolean;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function measureSensitivity(model: Model, analysis: ChannelAnalysis, stats: Map<string, ConsumerStats>, images: CalibrationImage[], options: SensitivityOptions): Promise<GroupSensitivity[]> {
  const threads = options.threads ?? 1;
  const reference = await runOutputs(model, images, threads);
  const out: GroupSensitivity[] = [];
  let done = 0;
  for (const group of analysis.groups) {
    const counts = levelCounts(group.channels, options.ratios);
    const elimination = eliminate(model, analysis, group, stats, counts, options.method);
    const errors = [];
    for (const count of counts) {
      errors.push(await outputError(options.family, reference, pruneOne(model, analysis, stats, group, elimination, count, options.refit), images, threads));
    }
    out.push({ group: group.id, counts, errors, elimination });
    options.onProgress?.(++done, analysis.groups.length);
  }
  return out;
}
