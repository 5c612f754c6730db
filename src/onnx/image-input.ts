// The detector's image input: which graph input it is, and its size when the export fixes it. The one rule
// every stage uses (loading, resizing, calibration, profiling, the study).
import { toNumber, type IValueInfoProto, type Model } from './proto.ts';

/** Graph inputs fed at run time: old exporters also list every initializer among the inputs. */
export function runtimeInputs(model: Model): IValueInfoProto[] {
  const weights = new Set(model.graph.initializer.map((t) => t.name));
  return model.graph.input.filter((i) => i.name && !weights.has(i.name));
}

export function runtimeInputNames(model: Model): string[] {
  return runtimeInputs(model).map((i) => i.name ?? '');
}

/** The image input: the first run-time input declared 4-D (NCHW), else the first run-time input. */
export function findImageInput(model: Model): IValueInfoProto | undefined {
  const inputs = runtimeInputs(model);
  return inputs.find((i) => i.type?.tensorType?.shape?.dim?.length === 4) ?? inputs[0];
}

export function imageInputName(model: Model): string {
  const input = findImageInput(model);
  if (!input?.name) throw new Error('the graph has no input besides its weights');
  return input.name;
}

/** The image input's H and W when the graph fixes both (a static NCHW export), else undefined. */
export function imageInputSize(model: Model): { height: number; width: number } | undefined {
  const dims = (findImageInput(model)?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam || d.dimValue == null ? 0 : toNumber(d.dimValue)));
  const [h, w] = [dims[2] ?? 0, dims[3] ?? 0];
  return dims.length === 4 && h > 0 && w > 0 ? { height: h, width: w } : undefined;
}

/** The export size of a static export: its image input's H when H and W are fixed, else undefined. */
export function exportSize(model: Model): number | undefined {
  return imageInputSize(model)?.height;
}
