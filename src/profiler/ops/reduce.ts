// Reductions and data-dependent selection (TopK, NonMaxSuppression, NonZero).
import { attrInt, attrInts, hasAttr } from '../../onnx/attributes.ts';
import { elementCount } from '../../onnx/tensor.ts';
import { INT64, NO_COST, ShapeError, normalizeAxis, type OpRule, type ShapeContext } from './rule.ts';

function reduceInfer(ctx: ShapeContext) {
  const s = ctx.shape(0);
  // Axes became an input in opset 13 for ReduceSum and in opset 18 for the other reductions.
  const inputFrom = ctx.node.opType === 'ReduceSum' ? 13 : 18;
  let axes: number[] | undefined;
  if (ctx.opset >= inputFrom && ctx.has(1)) axes = ctx.requireValue(1, 'axes');
  else if (ctx.opset < inputFrom && hasAttr(ctx.node, 'axes')) axes = attrInts(ctx.node, 'axes', []);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  if (!axes || axes.length === 0) {
    if (attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return [{ shape: [...s] }];
    axes = s.map((_, i) => i);
  }
  const drop = new Set(axes.map((a) => normalizeAxis(a, s.length)));
  const shape = keep ? s.map((d, i) => (drop.has(i) ? 1 : d)) : s.filter((_, i) => !drop.has(i));
  return [{ shape }];
}

function reduceRule(op: string): OpRule {
  return {
    op,
    family: 'reduce',
    hasWeights: false,
    rule: '1 FLOP per input element, 0 MACs',
    infer: reduceInfer,
    count: (ctx) => ({ macs: 0, flops: elementCount(ctx.inputShapes[0] ?? []) }),
  };
}

function argInfer(ctx: ShapeContext) {
  const s = ctx.shape(0);
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), s.length);
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  return [{ shape: keep ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis), dtype: INT64 }];
}

const DATA_DEPENDENT = '0 (data-dependent selection, not counted); shape is the upper bound';

export const reduceRules: OpRule[] = [
  ...['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare',
    'ReduceLogSum', 'ReduceLogSumExp'].map(reduceRule),
  { ...reduceRule('ArgMax'), infer: argInfer },
  { ...reduceRule('ArgMin'), infer: argInfer },
  {
    op: 'CumSum',
    family: 'reduce',
    hasWeights: false,
    rule: '1 FLOP per element, 0 MACs',
    infer: (ctx) => [{ shape: [...ctx.shape(0)] }],
    count: (ctx) => ({ macs: 0, flops: elementCount(ctx.outputShapes[0]) }),
  },
  {
    op: 'TopK',
    family: 'detection',
    hasWeights: false,
    rule: DATA_DEPENDENT,
    infer(ctx) {
      const s = ctx.shape(0);
      const axis = normalizeAxis(attrInt(ctx.node, 'axis', -1), s.length);
      // K moved from an attribute to an input in opset 10.
      const k = ctx.opset < 10 ? attrInt(ctx.node, 'k', 0) : ctx.requireValue(1, 'K')[0];
      const shape = s.map((d, i) => (i === axis ? Math.min(k, d) : d));
      return [{ shape }, { shape: [...shape], dtype: INT64 }];
    },
    count: () => NO_COST,
  },
  {
    op: 'NonMaxSuppression',
    family: 'detection',
    hasWeights: false,
    rule: DATA_DEPENDENT,
    infer(ctx) {
      const [batch, boxes] = ctx.shape(0);
      const classes = ctx.shape(1)[1];
      const perClass = ctx.has(2) ? (ctx.value(2)?.[0] ?? boxes) : 0;
      return [{ shape: [batch * classes * Math.min(perClass, boxes), 3], dtype: INT64 }];
    },
    count: () => NO_COST,
  },
  {
    op: 'NonZero',
    family: 'detection',
    hasWeights: false,
    rule: DATA_DEPENDENT,
    infer(ctx) {
      const s = ctx.shape(0);
      const v = ctx.value(0);
      if (v) return [{ shape: [s.length, v.filter((x) => x !== 0).length], dtype: INT64 }];
      if (s.length === 0) throw new ShapeError('NonZero of a scalar');
      return [{ shape: [s.length, elementCount(s)], dtype: INT64 }];
    },
    count: () => NO_COST,
  },
];
