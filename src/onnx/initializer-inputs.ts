// Initializers listed among the graph inputs. Old PyTorch exports (NanoDet-m, YOLOX-Nano: 188 / 236 of them)
// list every weight as a graph input too; onnxruntime then treats the weights as overridable inputs, so it
// does not constant-fold them and skips the fusions that need constant weights (Conv+BN, Conv+Activation...).
// ONNX IR >= 4 lets initializers be absent from graph.input (onnx/docs/IR.md, "Graphs"): dropping them
// changes neither the computation nor the FLOPs, only what onnxruntime may assume.
import type { Model } from './proto.ts';

/** The names of the graph inputs that are initializers. */
export function initializerInputs(model: Model): string[] {
  const weights = new Set(model.graph.initializer.map((t) => t.name ?? ''));
  return model.graph.input.map((i) => i.name ?? '').filter((n) => weights.has(n));
}

/** A shallow copy of `model` whose graph inputs are only the real inputs (the caller's model is untouched). */
export function withoutInitializerInputs(model: Model): Model {
  // IR 3 required every initializer to be an input; IR 4 (ONNX 1.3) made that optional. (irVersion is a Long.)
  if (Number(String(model.irVersion ?? 0)) < 4) return model;
  const weights = new Set(model.graph.initializer.map((t) => t.name ?? ''));
  const input = model.graph.input.filter((i) => !weights.has(i.name ?? ''));
  if (input.length === model.graph.input.length) return model;
  return { ...model, graph: { ...model.graph, input } } as Model;
}
