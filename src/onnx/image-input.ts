// The detector's image input: which graph input it is, and its size when the export fixes it.
import { toNumber, type Model } from './proto.ts';

/** The image input: the first graph input that is not an initializer (old exporters list weights as inputs). */
export function imageInputName(model: Model): string {
  const weights = new Set(model.graph.initializer.map((t) => t.name));
  const input = model.graph.input.find((i) => !weights.has(i.name));
  if (!input?.name) throw new Error('the graph has no input besides its weights');
  return input.name;
}

/** The image input's H and W when the graph fixes both (a static NCHW export), else undefined. */
export function imageInputSize(model: Model): { height: number; width: number } | undefined {
  const name = imageInputName(model);
  const input = model.graph.input.find((i) => i.name === name);
  const dims = (input?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue == null ? 0 : toNumber(d.dimValue)));
  const [h, w] = [dims[2] ?? 0, dims[3] ?? 0];
  return dims.length === 4 && h > 0 && w > 0 ? { height: h, width: w } : undefined;
}
