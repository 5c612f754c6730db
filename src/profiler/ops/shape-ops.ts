// Data movement and the shape arithmetic exporters emit (Shape -> Gather -> Unsqueeze -> Concat -> Reshape...).
// All cost 0 FLOPs; all fold their values when their inputs are known, so that later Reshape/Resize/Expand
// nodes get concrete shapes. Opset differences follow the ONNX operator spec (noted where they apply).
import { attrInt, attrInts, attrTensor, hasAttr, attrFloat, attrFloats } from '../../onnx/attributes.ts';
import { DataType } from '../../onnx/proto.ts';
import { tensorDims, tensorToNumbers, elementCount } from '../../onnx/tensor.ts';
import { FLOAT, INT64, MAX_FOLDED, NO_COST, ShapeError, broadcastShapes, castValue, foldBroadcast, normalizeAxis, type InferredOutput, type OpRule, type ShapeContext } from './rule.ts';

const MOVE = '0 (data movement or shape arithmetic)';

function rule(op: string, infer: (ctx: ShapeContext) => InferredOutput[]): OpRule {
  return { op, family: 'shape', hasWeights: false, rule: MOVE, infer, count: () => NO_COST };
}

/** Axes given as an attribute before `inputFromOpset`, as input `inputIndex` from then on. */
function axesOf(ctx: ShapeContext, inputFromOpset: number, inputIndex: number, name = 'axes'): number[] | undefined {
  if (ctx.opset < inputFromOpset || !ctx.has(inputIndex)) {
    return hasAttr(ctx.node, name) ? attrInts(ctx.node, name, []) : undefined;
  }
  return ctx.requireValue(inputIndex, name);
}

function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/** Values picked by per-axis index lists (Slice, Gather along one axis), for small known tensors. */
function pickByAxes(values: readonly number[], shape: readonly number[], picks: number[][]): number[] | undefined {
  const outShape = picks.map((p) => p.length);
  const n = elementCount(outShape);
  if (n > MAX_FOLDED) return undefined;
  const st = stridesOf(shape);
  const out = new Array<number>(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let i = 0; i < shape.length; i++) off += picks[i][idx[i]] * st[i];
    out[k] = values[off];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function shapeInfer(ctx: ShapeContext): InferredOutput[] {
  const s = ctx.shape(0);
  // Opset 15 added start/end (negative counts from the back, clamped).
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + s.length : v, 0), s.length);
  const start = clamp(attrInt(ctx.node, 'start', 0));
  const end = hasAttr(ctx.node, 'end') ? clamp(attrInt(ctx.node, 'end', s.length)) : s.length;
  const dims = s.slice(start, Math.max(start, end));
  return [{ shape: [dims.length], dtype: INT64, value: dims }];
}

function gatherInfer(ctx: ShapeContext): InferredOutput[] {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), data.length);
  const shape = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  const v = ctx.value(0);
  const idx = ctx.value(1);
  let value: number[] | undefined;
  if (v && idx && elementCount(shape) <= MAX_FOLDED) {
    const outer = elementCount(data.slice(0, axis));
    const inner = elementCount(data.slice(axis + 1));
    value = [];
    for (let o = 0; o < outer; o++) {
      for (const raw of idx) {
        const j = raw < 0 ? raw + data[axis] : raw;
        if (j < 0 || j >= data[axis]) throw new ShapeError(`Gather index ${raw} out of range for dim ${data[axis]}`);
        for (let k = 0; k < inner; k++) value.push(v[(o * data[axis] + j) * inner + k]);
      }
    }
  }
  return [{ shape, value }];
}

function unsqueezeInfer(ctx: ShapeContext): InferredOutput[] {
  const s = ctx.shape(0);
  const axes = axesOf(ctx, 13, 1);
  if (!axes) throw new ShapeError('Unsqueeze without axes');
  const rank = s.length + axes.length;
  const at = new Set(axes.map((a) => normalizeAxis(a, rank)));
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : s[j++]);
  return [{ shape, value: ctx.value(0) }];
}

function squeezeInfer(ctx: ShapeContext): InferredOutput[] {
  const s = ctx.shape(0);
  const axes = axesOf(ctx, 13, 1);
  const drop = new Set(axes ? axes.map((a) => normalizeAxis(a, s.length)) : s.flatMap((d, i) => (d === 1 ? [i] : [])));
  for (const a of drop) if (s[a] !== 1) throw new ShapeError(`Squeeze axis ${a} has size ${s[a]}, not 1`);
  return [{ shape: s.filter((_, i) => !drop.has(i)), value: ctx.value(0) }];
}

function concatInfer(ctx: ShapeContext): InferredOutput[] {
  const idx = ctx.inputNames.flatMap((n, i) => (n ? [i] : []));
  const shapes = idx.map((i) => ctx.shape(i));
  const rank = shapes[0].length;
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), rank);
  const shape = [...shapes[0]];
  shape[axis] = shapes.reduce((s, x) => s + x[axis], 0);
  for (const x of shapes) {
    if (x.length !== rank || x.some((d, i) => i !== axis && d !== shapes[0][i])) {
      throw new ShapeError(`Concat inputs differ outside axis ${axis}: [${shapes.map((q) => q.join(',')).join('] [')}]`);
    }
  }
  const values = idx.map((i) => ctx.value(i));
  let value: number[] | undefined;
  if (values.every((v) => v !== undefined) && elementCount(shape) <= MAX_FOLDED) {
    const outer = elementCount(shape.slice(0, axis));
    value = [];
    for (let o = 0; o < outer; o++) {
      values.forEach((v, j) => {
        const chunk = elementCount(shapes[j].slice(axis));
        value!.push(...(v as number[]).slice(o * chunk, (o + 1) * chunk));
      });
    }
  }
  return [{ shape, value }];
}

/** Indices selected by one axis of Slice, with the spec's clamping of negative and out-of-range bounds. */
export function sliceIndices(dim: number, start: number, end: number, step: number): number[] {
  if (step === 0) throw new ShapeError('Slice step 0');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

function sliceInfer(ctx: ShapeContext): InferredOutput[] {
  const s = ctx.shape(0);
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (ctx.opset < 10) {
    // Before opset 10 the bounds were attributes and there were no steps.
    starts = attrInts(ctx.node, 'starts', []);
    ends = attrInts(ctx.node, 'ends', []);
    axes = hasAttr(ctx.node, 'axes') ? attrInts(ctx.node, 'axes', []) : undefined;
  } else {
    starts = ctx.requireValue(1, 'starts');
    ends = ctx.requireValue(2, 'ends');
    axes = ctx.has(3) ? ctx.requireValue(3, 'axes') : undefined;
    steps = ctx.has(4) ? ctx.requireValue(4, 'steps') : undefined;
  }
  const axisList = (axes ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, s.length));
  const picks = s.map((d) => Array.from({ length: d }, (_, i) => i));
  axisList.forEach((a, i) => {
    // Exporters write INT64_MAX/MIN for "to the end"; they become Infinity-like after Number().
    picks[a] = sliceIndices(s[a], starts[i], ends[i], steps ? steps[i] : 1);
  });
  const shape = picks.map((p) => p.length);
  const v = ctx.value(0);
  return [{ shape, value: v && elementCount(shape) <= MAX_FOLDED ? pickByAxes(v, s, picks) : undefined }];
}

function splitInfer(ctx: ShapeContext): InferredOutput[] {
  const s = ctx.shape(0);
  const axis = normalizeAxis(attrInt(ctx.node, 'axis', 0), s.length);
  const count = (ctx.node.output ?? []).length;
  // The sizes moved from the `split` attribute to an input in opset 13; opset 18 added num_outputs.
  let sizes = ctx.opset < 13 ? (hasAttr(ctx.node, 'split') ? attrInts(ctx.node, 'split', []) : undefined)
    : ctx.has(1) ? ctx.requireValue(1, 'split') : undefined;
  if (!sizes) {
    const chunk = Math.ceil(s[axis] / count);
    sizes = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(chunk, s[axis] - i * chunk)));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== s[axis]) throw new ShapeError(`Split sizes [${sizes}] do not add up to ${s[axis]}`);
  const v = ctx.value(0);
  let offset = 0;
  return sizes.map((size) => {
    const picks = s.map((d) => Array.from({ length: d }, (_, i) => i));
    picks[axis] = Array.from({ length: size }, (_, i) => offset + i);
    offset += size;
    const shape = picks.map((p) => p.length);
    return { shape, value: v ? pickByAxes(v, s, picks) : undefined };
  });
}

/** Reshape's target: 0 copies the input dim (unless allowzero), one -1 takes what is left. */
export function reshapeTarget(input: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const out = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= input.length) throw new ShapeError(`Reshape copies dim ${i} of a rank-${input.length} input`);
      return input[i];
    }
    return d;
  });
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(`Reshape target [${target}] has more than one -1`);
  const total = elementCount(input);
  if (unknown === 1) {
    const known = elementCount(out.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) throw new ShapeError(`cannot reshape [${input}] to [${target}]`);
    out[out.indexOf(-1)] = total / known;
  }
  if (elementCount(out) !== total) throw new ShapeError(`cannot reshape [${input}] (${total} elements) to [${out}]`);
  return out;
}

function constantInfer(ctx: ShapeContext): InferredOutput[] {
  const t = attrTensor(ctx.node, 'value');
  if (t) {
    const shape = tensorDims(t);
    const dtype = t.dataType ?? FLOAT;
    const value = elementCount(shape) <= MAX_FOLDED && dtype !== DataType.STRING ? tensorToNumbers(t) : undefined;
    return [{ shape, dtype, value }];
  }
  // Opset 12 added scalar and list forms.
  if (hasAttr(ctx.node, 'value_int')) return [{ shape: [], dtype: INT64, value: [attrInt(ctx.node, 'value_int', 0)] }];
  if (hasAttr(ctx.node, 'value_ints')) {
    const v = attrInts(ctx.node, 'value_ints', []);
    return [{ shape: [v.length], dtype: INT64, value: v }];
  }
  if (hasAttr(ctx.node, 'value_float')) return [{ shape: [], dtype: FLOAT, value: [attrFloat(ctx.node, 'value_float', 0)] }];
  if (hasAttr(ctx.node, 'value_floats')) {
    const v = attrFloats(ctx.node, 'value_floats', []);
    return [{ shape: [v.length], dtype: FLOAT, value: v }];
  }
  throw new ShapeError('Constant without a value attribute this profiler reads');
}

export const shapeOpRules: OpRule[] = [
  rule('Shape', shapeInfer),
  rule('Size', (ctx) => [{ shape: [], dtype: INT64, value: [elementCount(ctx.shape(0))] }]),
  rule('Gather', gatherInfer),
  rule('GatherElements', (ctx) => [{ shape: [...ctx.shape(1)] }]),
  rule('Unsqueeze', unsqueezeInfer),
  rule('Squeeze', squeezeInfer),
  rule('Concat', concatInfer),
  rule('Slice', sliceInfer),
  rule('Split', splitInfer),
  rule('Constant', constantInfer),
  rule('Reshape', (ctx) => {
    const target = ctx.requireValue(1, 'shape');
    return [{ shape: reshapeTarget(ctx.shape(0), target, attrInt(ctx.node, 'allowzero', 0) === 1), value: ctx.value(0) }];
  }),
  rule('Flatten', (ctx) => {
    const s = ctx.shape(0);
    const axisAttr = attrInt(ctx.node, 'axis', 1);
    const axis = axisAttr < 0 ? axisAttr + s.length : axisAttr;
    if (axis < 0 || axis > s.length) throw new ShapeError(`Flatten axis ${axisAttr} out of range`);
    return [{ shape: [elementCount(s.slice(0, axis)), elementCount(s.slice(axis))], value: ctx.value(0) }];
  }),
  rule('Transpose', (ctx) => {
    const s = ctx.shape(0);
    const perm = attrInts(ctx.node, 'perm', s.map((_, i) => s.length - 1 - i));
    if (perm.length !== s.length) throw new ShapeError(`Transpose perm [${perm}] does not fit rank ${s.length}`);
    const v = ctx.value(0);
    const shape = perm.map((p) => s[p]);
    return [{ shape, value: v && s.length <= 1 ? v : undefined }];
  }),
  rule('ConstantOfShape', (ctx) => {
    const shape = ctx.requireValue(0, 'shape');
    const t = attrTensor(ctx.node, 'value');
    const dtype = t?.dataType ?? FLOAT;
    const fill = t ? tensorToNumbers(t)[0] ?? 0 : 0;
    const n = elementCount(shape);
    return [{ shape, dtype, value: n <= MAX_FOLDED ? new Array<number>(n).fill(fill) : undefined }];
  }),
  rule('Range', (ctx) => {
    const [start] = ctx.requireValue(0, 'start');
    const [limit] = ctx.requireValue(1, 'limit');
    const [delta] = ctx.requireValue(2, 'delta');
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    const dtype = ctx.dtype(0);
    const value = n <= MAX_FOLDED ? Array.from({ length: n }, (_, i) => castValue(start + i * delta, dtype)) : undefined;
    return [{ shape: [n], value }];
  }),
  rule('Expand', (ctx) => {
    const s = ctx.shape(0);
    const shape = broadcastShapes([s, ctx.requireValue(1, 'shape')]);
    const v = ctx.value(0);
    const value = v ? foldBroadcast([s, shape], [v, new Array<number>(elementCount(shape)).fill(0)], (a) => a[0]) : undefined;
    return [{ shape, value }];
  }),
  rule('Tile', (ctx) => {
    const repeats = ctx.requireValue(1, 'repeats');
    return [{ shape: ctx.shape(0).map((d, i) => d * repeats[i]) }];
  }),
  rule('Pad', (ctx) => {
    const s = ctx.shape(0);
    // Pads moved from an attribute to an input in opset 11; opset 18 added an axes input.
    const pads = ctx.opset < 11 ? attrInts(ctx.node, 'pads', []) : ctx.requireValue(1, 'pads');
    const axes = ctx.opset >= 18 && ctx.has(3) ? ctx.requireValue(3, 'axes').map((a) => normalizeAxis(a, s.length)) : s.map((_, i) => i);
    const shape = [...s];
    axes.forEach((a, i) => (shape[a] = s[a] + pads[i] + pads[i + axes.length]));
    return [{ shape }];
  }),
  rule('DepthToSpace', (ctx) => {
    const [n, c, h, w] = ctx.shape(0);
    const b = attrInt(ctx.node, 'blocksize', 1);
    return [{ shape: [n, c / (b * b), h * b, w * b] }];
  }),
  rule('SpaceToDepth', (ctx) => {
    const [n, c, h, w] = ctx.shape(0);
    const b = attrInt(ctx.node, 'blocksize', 1);
    return [{ shape: [n, c * b * b, Math.floor(h / b), Math.floor(w / b)] }];
  }),
];
