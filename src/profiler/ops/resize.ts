// Resize / Upsample. Inputs moved across opsets (ONNX spec): opset 10 (X, scales); 11-12 (X, roi, scales,
// sizes?); 13+ (X, roi?, scales?, sizes?); 18+ adds the `axes` attribute. Output dims are `sizes` when
// given, else floor(input dim x scale).
import { attrFloats, attrInts, attrString } from '../../onnx/attributes.ts';
import { elementCount } from '../../onnx/tensor.ts';
import { ShapeError, normalizeAxis, type CountContext, type OpRule, type ShapeContext } from './rule.ts';

function resizeInfer(ctx: ShapeContext) {
  const x = ctx.shape(0);
  const axes = ctx.opset >= 18 ? attrInts(ctx.node, 'axes', x.map((_, i) => i)).map((a) => normalizeAxis(a, x.length)) : x.map((_, i) => i);
  const scalesIndex = ctx.opset < 11 ? 1 : 2;
  const sizesIndex = ctx.opset < 11 ? -1 : 3;
  const sizes = sizesIndex > 0 && ctx.has(sizesIndex) ? ctx.requireValue(sizesIndex, 'sizes') : undefined;
  const scales = ctx.has(scalesIndex) ? ctx.requireValue(scalesIndex, 'scales') : undefined;
  const out = [...x];
  if (sizes && sizes.length > 0) {
    if (sizes.length !== axes.length) throw new ShapeError(`Resize sizes [${sizes}] do not fit rank ${x.length}`);
    const policy = attrString(ctx.node, 'keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch') axes.forEach((a, i) => (out[a] = sizes[i]));
    else {
      const ratios = axes.map((a, i) => sizes[i] / x[a]);
      const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((a) => (out[a] = Math.round(scale * x[a])));
    }
  } else if (scales && scales.length > 0) {
    if (scales.length !== axes.length) throw new ShapeError(`Resize scales [${scales}] do not fit rank ${x.length}`);
    axes.forEach((a, i) => (out[a] = Math.floor(x[a] * scales[i])));
  } else {
    throw new ShapeError('Resize has neither scales nor sizes');
  }
  return [{ shape: out }];
}

function upsampleInfer(ctx: ShapeContext) {
  const x = ctx.shape(0);
  // Upsample (deprecated): scales an attribute in opset 7, an input from opset 9.
  const scales = ctx.has(1) ? ctx.requireValue(1, 'scales') : attrFloats(ctx.node, 'scales', []);
  if (scales.length !== x.length) throw new ShapeError(`Upsample scales [${scales}] do not fit rank ${x.length}`);
  return [{ shape: x.map((d, i) => Math.floor(d * scales[i])) }];
}

/** nearest: a copy; linear: 2^d - 1 lerps of 3 FLOPs; cubic: 4^d taps of 2 FLOPs (d = resized axes). */
function resizeCount(ctx: CountContext) {
  const mode = attrString(ctx.node, 'mode', 'nearest');
  const x = ctx.inputShapes[0] ?? [];
  const out = ctx.outputShapes[0];
  const d = out.filter((v, i) => v !== x[i]).length;
  const n = elementCount(out);
  if (mode === 'linear' || mode === 'bilinear') return { macs: 0, flops: n * 3 * (2 ** d - 1) };
  if (mode === 'cubic') return { macs: 0, flops: n * 2 * 4 ** d };
  return { macs: 0, flops: 0 };
}

const RULE = 'nearest: 0 (a copy); linear: 3 x (2^d - 1) FLOPs per output element; cubic: 2 x 4^d (d = resized axes); 0 MACs';

export const resizeRules: OpRule[] = [
  { op: 'Resize', family: 'resize', hasWeights: false, rule: RULE, infer: resizeInfer, count: resizeCount },
  { op: 'Upsample', family: 'resize', hasWeights: false, rule: RULE, infer: upsampleInfer, count: resizeCount },
];
