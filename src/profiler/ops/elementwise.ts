// Elementwise ops and activations: broadcast shapes, 1 FLOP per output element, no MACs. The ones that
// appear in shape arithmetic (Add, Mul, Div, Cast, Floor, ...) are constant-folded.
import { attrInt } from '../../onnx/attributes.ts';
import { elementCount } from '../../onnx/tensor.ts';
import { BOOL, NO_COST, broadcastShapes, castValue, foldBroadcast, sameShape, type InferredOutput, type OpRule, type ShapeContext } from './rule.ts';

const PER_ELEMENT = '1 FLOP per output element, 0 MACs';

function presentInputs(ctx: ShapeContext): number[] {
  return ctx.inputNames.flatMap((n, i) => (n ? [i] : []));
}

function broadcastRule(op: string, fn?: (a: number[]) => number, outDtype?: number): OpRule {
  return {
    op,
    family: 'elementwise',
    hasWeights: true,
    rule: PER_ELEMENT,
    infer(ctx): InferredOutput[] {
      const idx = presentInputs(ctx);
      const shapes = idx.map((i) => ctx.shape(i));
      const shape = broadcastShapes(shapes);
      // Where's output type is its value inputs' type, not the condition's.
      const dtype = outDtype ?? (op === 'Where' ? ctx.dtype(1) : ctx.dtype(0));
      const values = fn ? foldBroadcast(shapes, idx.map((i) => ctx.value(i)), fn) : undefined;
      return [{ shape, dtype, value: values?.map((v) => castValue(v, dtype)) }];
    },
    count: (ctx) => ({ macs: 0, flops: elementCount(ctx.outputShapes[0]) }),
  };
}

function unaryRule(op: string, fn?: (v: number) => number, flopsPerElement = 1): OpRule {
  return {
    op,
    family: 'elementwise',
    hasWeights: false,
    rule: flopsPerElement === 0 ? '0 (a copy)' : PER_ELEMENT,
    infer(ctx) {
      const v = fn ? ctx.value(0) : undefined;
      const dtype = ctx.dtype(0);
      return [{ shape: [...ctx.shape(0)], value: v?.map((x) => castValue(fn!(x), dtype)) }];
    },
    count: (ctx) => (flopsPerElement === 0 ? NO_COST : { macs: 0, flops: flopsPerElement * elementCount(ctx.outputShapes[0]) }),
  };
}

const binary: [string, ((a: number[]) => number) | undefined, number?][] = [
  ['Add', (a) => a[0] + a[1]],
  ['Sub', (a) => a[0] - a[1]],
  ['Mul', (a) => a[0] * a[1]],
  // Integer results are truncated toward zero by castValue, as ONNX integer Div does.
  ['Div', (a) => a[0] / a[1]],
  ['Pow', (a) => a[0] ** a[1]],
  ['Mod', (a) => a[0] % a[1]],
  ['Max', (a) => Math.max(...a)],
  ['Min', (a) => Math.min(...a)],
  ['Sum', (a) => a.reduce((s, x) => s + x, 0)],
  ['Mean', (a) => a.reduce((s, x) => s + x, 0) / a.length],
  ['PRelu', undefined],
  ['Equal', (a) => Number(a[0] === a[1]), BOOL],
  ['Less', (a) => Number(a[0] < a[1]), BOOL],
  ['LessOrEqual', (a) => Number(a[0] <= a[1]), BOOL],
  ['Greater', (a) => Number(a[0] > a[1]), BOOL],
  ['GreaterOrEqual', (a) => Number(a[0] >= a[1]), BOOL],
  ['And', (a) => Number(Boolean(a[0]) && Boolean(a[1])), BOOL],
  ['Or', (a) => Number(Boolean(a[0]) || Boolean(a[1])), BOOL],
  ['Xor', (a) => Number(Boolean(a[0]) !== Boolean(a[1])), BOOL],
  ['Where', (a) => (a[0] ? a[1] : a[2])],
];

const unary: [string, ((v: number) => number) | undefined][] = [
  ['Relu', (v) => Math.max(0, v)],
  ['LeakyRelu', undefined],
  ['Sigmoid', undefined],
  ['Tanh', undefined],
  ['Exp', (v) => Math.exp(v)],
  ['Log', (v) => Math.log(v)],
  ['Sqrt', (v) => Math.sqrt(v)],
  ['Neg', (v) => -v],
  ['Abs', (v) => Math.abs(v)],
  ['Reciprocal', (v) => 1 / v],
  ['Floor', (v) => Math.floor(v)],
  ['Ceil', (v) => Math.ceil(v)],
  ['Round', (v) => Math.round(v)],
  ['Sign', (v) => Math.sign(v)],
  ['Not', (v) => Number(!v)],
  ['Clip', undefined],
  ['HardSwish', undefined],
  ['HardSigmoid', undefined],
  ['Elu', undefined],
  ['Selu', undefined],
  ['Celu', undefined],
  ['Softplus', undefined],
  ['Softsign', undefined],
  ['Mish', undefined],
  ['Gelu', undefined],
  ['Erf', undefined],
  ['Sin', undefined],
  ['Cos', undefined],
  ['ThresholdedRelu', undefined],
];

export const elementwiseRules: OpRule[] = [
  ...binary.map(([op, fn, dtype]) => broadcastRule(op, fn, dtype)),
  ...unary.map(([op, fn]) => unaryRule(op, fn)),
  // Clip's min/max inputs (opset 11+) are scalars, not weights; the unary rule ignores them.
  {
    ...unaryRule('Identity', (v) => v, 0),
    rule: '0 (a copy; Identity of an initializer is followed through to the weight it names)',
  },
  {
    op: 'Cast',
    family: 'elementwise',
    hasWeights: false,
    rule: '0 (a type conversion)',
    infer(ctx) {
      const to = attrInt(ctx.node, 'to', ctx.dtype(0));
      return [{ shape: [...ctx.shape(0)], dtype: to, value: ctx.value(0)?.map((v) => castValue(v, to)) }];
    },
    count: () => NO_COST,
  },
  {
    op: 'CastLike',
    family: 'elementwise',
    hasWeights: false,
    rule: '0 (a type conversion)',
    infer(ctx) {
      const to = ctx.dtype(1);
      return [{ shape: [...ctx.shape(0)], dtype: to, value: ctx.value(0)?.map((v) => castValue(v, to)) }];
    },
    count: () => NO_COST,
  },
  {
    op: 'Dropout',
    family: 'elementwise',
    hasWeights: false,
    rule: '0 (identity at inference)',
    infer: (ctx) => [...sameShape(ctx), { shape: [...ctx.shape(0)], dtype: BOOL }],
    count: () => NO_COST,
  },
];
