// Hand-written gradients of the ops a detector's forward pass uses (NanoDet-m, YOLOX-Nano, the heads), each
// written as ONNX nodes that take dY and give the inputs' gradients:
// - Conv (stride s, plain or depthwise): dX = ConvTranspose(dY, W) with the same group, pads and strides, and
//   output_padding for the input rows a strided conv never reads past; db = sum of dY over N, H, W; dW for a plain
//   conv = Conv(X^T, dY^T) with N as the channel axis (batch Cin, kernel dY, dilations = stride, cut to the
//   kernel size), or a matrix product for 1x1 convs; for a depthwise conv the same Conv with the channels as groups.
// - MaxPool: the forward MaxPool again with its Indices output (flat N C H W positions, ONNX spec), then dY summed
//   into those positions by ScatterElements with reduction 'add' (opset 16; overlapping windows add up).
// - Resize: per-axis interpolation matrices, Y = A_h X A_w^T, so dX = A_h^T dY A_w (resize-matrix.ts).
// - Slice (step 1): dX = Pad(dY) with zeros; Concat: dX_i = the slice of dY at input i; Split: Concat of the
//   outputs' gradients (zeros where an output has none); Reshape and Transpose: the inverse reshape/permutation.
// Static shapes (batch 1, from shape inference) give the sizes; the batch axis itself stays free.
import { InputError } from '../../errors.ts';
import { attrInt, attrInts, attrString } from '../../onnx/attributes.ts';
import { onnx, type INodeProto } from '../../onnx/proto.ts';
import type { GraphBuilder } from './graph-builder.ts';
import { resizeMatrix, type AxisResize, type ResizeMode } from './resize-matrix.ts';

export interface BackwardContext {
  b: GraphBuilder;
  contribute: (tensor: string, grad: string) => void;
  /** Whether a tensor depends on a parameter (only those need gradients). */
  needs: (tensor: string) => boolean;
  /** The gradient reaching a tensor so far (undefined when none). */
  gradOf: (tensor: string) => string | undefined;
  /** A tensor's static shape at batch 1. */
  shape: (tensor: string) => number[];
  /** A constant input's values (Slice bounds, Resize scales), undefined for a computed tensor. */
  constant: (tensor: string) => number[] | undefined;
}

function need(node: INodeProto, ctx: BackwardContext, what: string): number[] {
  const v = ctx.constant(what);
  if (!v) throw new InputError(`distill: ${node.opType} ${node.name} reads ${what}, which is not a constant`);
  return v;
}

export function convBackward(ctx: BackwardContext, node: INodeProto, gy: string): void {
  const { b } = ctx;
  const [x = '', w = '', bias = ''] = node.input ?? [];
  const group = attrInt(node, 'group', 1);
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  const kernel = attrInts(node, 'kernel_shape', []);
  const strides = attrInts(node, 'strides', [1, 1]);
  if (kernel.length !== 2) throw new InputError(`distill: conv ${node.name} has no 2-D kernel_shape`);
  if (attrInts(node, 'dilations', [1, 1]).some((d) => d !== 1)) throw new InputError(`distill: conv ${node.name} is dilated (no gradient here)`);
  const strided = strides.some((s) => s !== 1);
  if (bias) ctx.contribute(bias, b.op('ReduceSum', [gy, b.ints([0, 2, 3])], { keepdims: 0 }));
  const yT = b.op('Transpose', [gy], { perm: [1, 0, 2, 3] }); // [Cout, N, Ho, Wo]
  const xT = b.op('Transpose', [x], { perm: [1, 0, 2, 3] }); // [Cin, N, H, W]
  // The weight gradient's conv reads the padded input at stride s: dilate the dY kernel by s; its output can be
  // larger than the kernel (input rows past the last window), cut it to the kernel.
  const cut = (t: string): string => (strided ? b.op('Slice', [t, b.ints([0, 0]), b.ints(kernel), b.ints([2, 3])]) : t);
  let gw: string;
  if (group === 1 && kernel[0] === 1 && kernel[1] === 1 && pads.every((p) => p === 0) && !strided) {
    const flat = b.ints([0, -1]);
    const product = b.op('Gemm', [b.op('Reshape', [yT, flat]), b.op('Reshape', [xT, flat])], { transB: 1 }); // [Cout, Cin]
    gw = b.op('Unsqueeze', [product, b.ints([2, 3])]);
  } else if (group === 1) {
    // Batch Cin, N channels, kernel = dY: out[ci, co, kh, kw] = sum_n,y,x Xpad[n, ci, s y + kh, s x + kw] dY[n, co, y, x].
    const out = cut(b.op('Conv', [xT, yT], { pads, group: 1, dilations: strides }));
    gw = b.op('Transpose', [out], { perm: [1, 0, 2, 3] });
  } else {
    // Depthwise (one input channel per group): channels (c, n) in one batch, grouped by c.
    const xGrouped = b.op('Reshape', [xT, b.ints([1, -1, 0, 0])]);
    const out = cut(b.op('Conv', [xGrouped, yT], { pads, group, dilations: strides })); // [1, Cout, kh, kw]
    gw = b.op('Reshape', [out, b.ints([-1, 1, 0, 0])]);
  }
  ctx.contribute(w, gw);
  if (!ctx.needs(x)) return;
  const attrs: Record<string, number | number[]> = { group, pads, kernel_shape: kernel };
  if (strided) {
    const inShape = ctx.shape(x);
    const outShape = ctx.shape((node.output ?? [])[0] ?? '');
    // ConvTranspose gives (out - 1) s - pads + k rows; the input rows beyond that get the zero-free remainder.
    const outputPadding = [0, 1].map((i) => inShape[2 + i]! - ((outShape[2 + i]! - 1) * strides[i]! - pads[i]! - pads[i + 2]! + kernel[i]!));
    Object.assign(attrs, { strides, output_padding: outputPadding });
  }
  ctx.contribute(x, b.op('ConvTranspose', [gy, w], attrs));
}

export function maxPoolBackward(ctx: BackwardContext, node: INodeProto, gy: string): void {
  const { b } = ctx;
  const x = (node.input ?? [])[0] ?? '';
  if (!ctx.needs(x)) return;
  if (attrInt(node, 'storage_order', 0) !== 0) throw new InputError(`distill: MaxPool ${node.name} uses column-major indices`);
  const [, indices] = b.opOutputs('MaxPool', [x], [b.fresh('pool'), b.fresh('pool_indices')]);
  b.nodes[b.nodes.length - 1]!.attribute = (node.attribute ?? []).map((a) => onnx.AttributeProto.create(a));
  const flat = b.ints([-1]);
  const zeros = b.op('Mul', [b.op('Reshape', [x, flat]), b.scalar(0)]);
  const summed = b.op('ScatterElements', [zeros, b.op('Reshape', [indices!, flat]), b.op('Reshape', [gy, flat])]);
  const scatter = b.nodes[b.nodes.length - 1]!;
  scatter.attribute = [
    onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
    onnx.AttributeProto.create({ name: 'reduction', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('add') }),
  ];
  ctx.contribute(x, b.op('Reshape', [summed, b.op('Shape', [x])]));
}

/** Transposed interpolation matrices of a 4-D Resize over H and W. */
export function resizeAxes(ctx: BackwardContext, node: INodeProto): AxisResize[] {
  const inputs = node.input ?? [];
  const x = inputs[0] ?? '';
  const inShape = ctx.shape(x);
  const outShape = ctx.shape((node.output ?? [])[0] ?? '');
  if (inShape.length !== 4 || inShape[0] !== outShape[0] || inShape[1] !== outShape[1]) throw new InputError(`distill: Resize ${node.name} resizes more than H and W`);
  const mode = attrString(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') throw new InputError(`distill: Resize ${node.name} mode ${mode} has no gradient here`);
  const scalesName = inputs.length === 2 ? inputs[1] : inputs[2];
  const scales = scalesName ? ctx.constant(scalesName) : undefined;
  return [2, 3].map((axis) => ({
    mode: mode as ResizeMode,
    transform: attrString(node, 'coordinate_transformation_mode', 'half_pixel'),
    nearest: attrString(node, 'nearest_mode', 'round_prefer_floor'),
    inSize: inShape[axis]!,
    outSize: outShape[axis]!,
    scale: scales && scales.length === 4 ? scales[axis]! : outShape[axis]! / inShape[axis]!,
  }));
}

function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

export function resizeBackward(ctx: BackwardContext, node: INodeProto, gy: string): void {
  const { b } = ctx;
  const x = (node.input ?? [])[0] ?? '';
  if (!ctx.needs(x)) return;
  const [h, w] = resizeAxes(ctx, node);
  const ahT = b.floats(transposed(resizeMatrix(h!), h!.outSize, h!.inSize), [h!.inSize, h!.outSize]);
  const aw = b.floats(resizeMatrix(w!), [w!.outSize, w!.inSize]);
  ctx.contribute(x, b.op('MatMul', [b.op('MatMul', [ahT, gy]), aw]));
}

export function sliceBackward(ctx: BackwardContext, node: INodeProto, gy: string): void {
  const { b } = ctx;
  const [x = '', startsName = '', endsName = '', axesName = '', stepsName = ''] = node.input ?? [];
  if (!ctx.needs(x)) return;
  const shape = ctx.shape(x);
  const starts = need(node, ctx, startsName);
  const ends = need(node, ctx, endsName);
  const axes = axesName ? need(node, ctx, axesName) : starts.map((_, i) => i);
  const steps = stepsName ? need(node, ctx, stepsName) : starts.map(() => 1);
  if (steps.some((s) => s !== 1)) throw new InputError(`distill: Slice ${node.name} has steps ${steps} (only step 1 has a gradient here)`);
  const pads = new Array<number>(2 * shape.length).fill(0);
  axes.forEach((raw, k) => {
    const axis = raw < 0 ? raw + shape.length : raw;
    if (axis === 0) throw new InputError(`distill: Slice ${node.name} slices the batch axis`);
    const dim = shape[axis]!;
    const clamp = (v: number) => Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
    pads[axis] = clamp(starts[k]!);
    pads[axis + shape.length] = dim - clamp(ends[k]!);
  });
  ctx.contribute(x, b.op('Pad', [gy, b.ints(pads)]));
}

export function concatBackward(ctx: BackwardContext, node: INodeProto, gy: string): void {
  const { b } = ctx;
  const inputs = node.input ?? [];
  const rank = ctx.shape(inputs[0]!).length;
  const raw = attrInt(node, 'axis', 0);
  const axis = raw < 0 ? raw + rank : raw;
  if (axis === 0) throw new InputError(`distill: Concat ${node.name} joins along the batch axis`);
  let at = 0;
  for (const i of inputs) {
    const size = ctx.shape(i)[axis]!;
    if (ctx.needs(i)) ctx.contribute(i, b.op('Slice', [gy, b.ints([at]), b.ints([at + size]), b.ints([axis])]));
    at += size;
  }
}

/** Split's gradient: its outputs' gradients joined again (called once, with every output's gradient). */
export function splitBackward(ctx: BackwardContext, node: INodeProto): void {
  const { b } = ctx;
  const x = (node.input ?? [])[0] ?? '';
  if (!ctx.needs(x)) return;
  const outputs = node.output ?? [];
  const grads = outputs.map((o) => ctx.gradOf(o));
  if (grads.every((g) => g === undefined)) return;
  const raw = attrInt(node, 'axis', 0);
  const axis = raw < 0 ? raw + ctx.shape(x).length : raw;
  const parts = outputs.map((o, k) => grads[k] ?? b.op('Mul', [o, b.scalar(0)]));
  ctx.contribute(x, b.op('Concat', parts, { axis }));
}

export function reshapeBackward(ctx: BackwardContext, node: INodeProto, gy: string): void {
  const x = (node.input ?? [])[0] ?? '';
  if (ctx.needs(x)) ctx.contribute(x, ctx.b.op('Reshape', [gy, ctx.b.op('Shape', [x])]));
}

export function transposeBackward(ctx: BackwardContext, node: INodeProto, gy: string): void {
  const x = (node.input ?? [])[0] ?? '';
  if (!ctx.needs(x)) return;
  const perm = attrInts(node, 'perm', []);
  const forward = perm.length > 0 ? perm : ctx.shape(x).map((_, i, all) => all.length - 1 - i);
  const inverse = new Array<number>(forward.length);
  forward.forEach((p, i) => (inverse[p] = i));
  ctx.contribute(x, ctx.b.op('Transpose', [gy], { perm: inverse }));
}
