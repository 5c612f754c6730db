// Normalisations and softmax. Inference-time costs, with no MACs (they are not multiply-accumulate layers).
import { attrInt } from '../../onnx/attributes.ts';
import { elementCount } from '../../onnx/tensor.ts';
import { FLOAT, normalizeAxis, sameShape, type OpRule } from './rule.ts';

function perElement(op: string, flops: number, rule: string, hasWeights = true): OpRule {
  return {
    op,
    family: 'normalization',
    hasWeights,
    rule,
    infer: sameShape,
    count: (ctx) => ({ macs: 0, flops: flops * elementCount(ctx.outputShapes[0]) }),
  };
}

export const normalizationRules: OpRule[] = [
  perElement('BatchNormalization', 2, '2 FLOPs per element (x * scale + shift after folding mean and variance), 0 MACs'),
  perElement('InstanceNormalization', 7, '7 FLOPs per element (mean 1, centre 1, square-accumulate 2, normalise 1, affine 2), 0 MACs'),
  perElement('GroupNormalization', 7, '7 FLOPs per element (mean 1, centre 1, square-accumulate 2, normalise 1, affine 2), 0 MACs'),
  perElement('LpNormalization', 3, '3 FLOPs per element (square-accumulate 2, divide 1), 0 MACs'),
  {
    ...perElement('LayerNormalization', 7, '7 FLOPs per element (mean 1, centre 1, square-accumulate 2, normalise 1, affine 2), 0 MACs'),
    infer(ctx) {
      const s = ctx.shape(0);
      const axis = normalizeAxis(attrInt(ctx.node, 'axis', -1), s.length);
      // Optional outputs Mean and InvStdDev keep the leading dims and set the normalised ones to 1.
      const stats = s.map((d, i) => (i < axis ? d : 1));
      return [{ shape: [...s] }, { shape: stats, dtype: FLOAT }, { shape: stats, dtype: FLOAT }];
    },
  },
  perElement('Softmax', 3, '3 FLOPs per element (exp, sum, divide), 0 MACs', false),
  perElement('LogSoftmax', 3, '3 FLOPs per element (exp, sum, log-subtract), 0 MACs', false),
  perElement('Hardmax', 1, '1 FLOP per element (a comparison), 0 MACs', false),
];
