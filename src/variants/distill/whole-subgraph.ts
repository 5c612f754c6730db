// The whole network as a trainable subgraph: from the image input to the raw head outputs of every level (the
// boundary headBoundary finds over all levels), every Conv trainable. Exports fix the batch at 1 in Reshape
// shapes (NanoDet's channel shuffle reshapes to [1, 2, C/2, H, W]); a leading 1 becomes 0 ("copy dim 0") so
// mini-batches run. Shapes come from shape inference at the model's static input size (the gradients of
// strided convs, Slice, Concat and Resize need them).
import type { Model } from '../../onnx/proto.ts';
import { tensorToNumbers } from '../../onnx/tensor.ts';
import { imageInputName } from '../../onnx/image-input.ts';
import { inferShapes, type Profile } from '../../profiler/index.ts';
import { int64Tensor } from '../../onnx/tensor.ts';
import { extractHead, headBoundary, type HeadSubgraph } from './head-subgraph.ts';

const HEAD_LEVEL = /^head\/(P\d+)(\/|$)/;

/** The image input and the raw head outputs of every level, in the ORIGINAL model. */
export function wholeBoundary(original: Model, profile: Profile): { inputs: string[]; outputs: string[] } {
  const levels = [...new Set(profile.nodes.map((n) => HEAD_LEVEL.exec(n.group)?.[1]).filter((l): l is string => l !== undefined))];
  return { inputs: [imageInputName(original)], outputs: headBoundary(original, profile, levels).outputs };
}

/** `student` from its image input to `outputs`, every conv trainable, runnable at any batch size. */
export function extractWhole(student: Model, outputs: readonly string[], inputShapes: Record<string, number[]> = {}): HeadSubgraph {
  const sub = extractHead(student, [imageInputName(student)], outputs);
  const shapes = inferShapes(student, inputShapes);
  const constants = new Map(sub.constants.map((c) => [c.name ?? '', c]));
  sub.nodes = sub.nodes.map((n) => {
    const [x = '', shapeName = ''] = n.input ?? [];
    const target = n.opType === 'Reshape' ? constants.get(shapeName) : undefined;
    if (!target || shapes.get(x)?.[0] !== 1) return n;
    const values = tensorToNumbers(target);
    if (values[0] !== 1) return n;
    const name = `${shapeName}:batch`;
    if (!constants.has(name)) {
      const fixed = int64Tensor(name, [values.length], [0, ...values.slice(1)]);
      constants.set(name, fixed);
    }
    return { ...n, input: [x, name] };
  });
  sub.constants = [...constants.values()];
  sub.shapes = shapes;
  return sub;
}
