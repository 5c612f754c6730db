// Pooling: one compare (max) or add (average) per window element, no MACs.
import { attrInt, attrInts } from '../../onnx/attributes.ts';
import { elementCount } from '../../onnx/tensor.ts';
import { INT64, ShapeError, type OpRule, type ShapeContext } from './rule.ts';
import { windowAttributes, windowOutput } from './conv.ts';

function poolInfer(ctx: ShapeContext) {
  const x = ctx.shape(0);
  if (x.length < 3) throw new ShapeError(`pooling needs [N, C, spatial...], got [${x}]`);
  const kernel = attrInts(ctx.node, 'kernel_shape', []);
  const w = windowAttributes(ctx.node, x.length - 2, kernel);
  const shape = [x[0], x[1], ...windowOutput(x.slice(2), w, attrInt(ctx.node, 'ceil_mode', 0) === 1)];
  // MaxPool's optional second output holds the argmax indices.
  return [{ shape }, { shape, dtype: INT64 }];
}

function windowRule(op: string, what: string): OpRule {
  return {
    op,
    family: 'pooling',
    hasWeights: false,
    rule: `output elements x kernel area FLOPs (one ${what} per window element), 0 MACs`,
    infer: poolInfer,
    count: (ctx) => ({ macs: 0, flops: elementCount(ctx.outputShapes[0]) * elementCount(attrInts(ctx.node, 'kernel_shape', [])) }),
  };
}

function globalRule(op: string): OpRule {
  return {
    op,
    family: 'pooling',
    hasWeights: false,
    rule: '1 FLOP per input element, 0 MACs',
    infer(ctx) {
      const x = ctx.shape(0);
      return [{ shape: [x[0], x[1], ...x.slice(2).map(() => 1)] }];
    },
    count: (ctx) => ({ macs: 0, flops: elementCount(ctx.inputShapes[0] ?? []) }),
  };
}

export const poolingRules: OpRule[] = [
  windowRule('MaxPool', 'compare'),
  windowRule('AveragePool', 'add'),
  windowRule('LpPool', 'power-add'),
  globalRule('GlobalAveragePool'),
  globalRule('GlobalMaxPool'),
];
