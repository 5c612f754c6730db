// What every op registers: its shape rule (with constant folding where exporters compute shapes in the
// graph) and its counting rule, side by side, with a one-line description of the count for `--rules`.
import type { INodeProto } from '../../onnx/proto.ts';
import { DataType } from '../../onnx/proto.ts';
import { elementCount } from '../../onnx/tensor.ts';

/** What shape inference knows about a tensor. `value` is set for small tensors known before run time. */
export interface TensorInfo {
  shape: number[];
  dtype: number;
  value?: number[];
}

/** A shape that cannot be inferred (missing constant, inconsistent dims): reported with the node's name. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

export interface ShapeContext {
  node: INodeProto;
  opset: number;
  /** Input names as written in the node ('' for an omitted optional input). */
  inputNames: string[];
  /** Whether input i is present (given and not ''). */
  has(i: number): boolean;
  /** Input i's info; throws ShapeError when it is absent or unknown. */
  input(i: number): TensorInfo;
  shape(i: number): number[];
  dtype(i: number): number;
  /** Input i's values when known before run time (constants, folded shape arithmetic). */
  value(i: number): number[] | undefined;
  /** Like value(), but throws a ShapeError saying what the value was needed for. */
  requireValue(i: number, what: string): number[];
}

export interface InferredOutput {
  shape: number[];
  /** Defaults to the dtype of input 0. */
  dtype?: number;
  value?: number[];
}

export interface CountContext {
  node: INodeProto;
  opset: number;
  inputShapes: (number[] | undefined)[];
  outputShapes: number[][];
  /** Whether input i is present. */
  has(i: number): boolean;
}

export interface Cost {
  macs: number;
  flops: number;
}

export interface OpRule {
  op: string;
  /** Op family, the registry's section (conv, matmul, elementwise, ...). */
  family: string;
  infer(ctx: ShapeContext): InferredOutput[];
  count(ctx: CountContext): Cost;
  /** The counting rule in one line, for `flopmap profile --rules`. */
  rule: string;
  /** Whether the op's initializer inputs are weights (false for shape/index/scale constants). */
  hasWeights: boolean;
}

export const NO_COST: Cost = { macs: 0, flops: 0 };
export const INT64 = DataType.INT64;
export const BOOL = DataType.BOOL;
export const FLOAT = DataType.FLOAT;


/** ONNX axis in [-rank, rank) -> [0, rank). */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${what} ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy-style multidirectional broadcasting. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const offset = rank - s.length;
    s.forEach((d, i) => {
      const cur = out[offset + i];
      if (d === cur || d === 1) return;
      if (cur === 1) out[offset + i] = d;
      else throw new ShapeError(`cannot broadcast [${shapes.map((x) => x.join(',')).join('] with [')}]`);
    });
  }
  return out;
}

/** Values of a broadcast elementwise op, when every input is known and the result is small. */
export function foldBroadcast(
  shapes: readonly (readonly number[])[],
  values: readonly (readonly number[] | undefined)[],
  fn: (args: number[]) => number,
): number[] | undefined {
  if (values.some((v) => v === undefined)) return undefined;
  const out = broadcastShapes(shapes);
  const n = elementCount(out);
  if (n > MAX_FOLDED) return undefined;
  const strides = shapes.map((s) => {
    const padded = [...new Array<number>(out.length - s.length).fill(1), ...s];
    const st = new Array<number>(out.length).fill(0);
    let acc = 1;
    for (let i = out.length - 1; i >= 0; i--) {
      st[i] = padded[i] === 1 ? 0 : acc;
      acc *= padded[i];
    }
    return st;
  });
  const result = new Array<number>(n);
  const idx = new Array<number>(out.length).fill(0);
  for (let k = 0; k < n; k++) {
    const args = values.map((v, j) => {
      let off = 0;
      for (let i = 0; i < out.length; i++) off += idx[i] * strides[j][i];
      return (v as readonly number[])[off];
    });
    result[k] = fn(args);
    for (let i = out.length - 1; i >= 0; i--) {
      if (++idx[i] < out[i]) break;
      idx[i] = 0;
    }
  }
  return result;
}

/** Tensors larger than this are never folded (they are weights or activations, not shape arithmetic). */
export const MAX_FOLDED = 4096;

export function isIntegerType(dtype: number): boolean {
  return (
    dtype === DataType.INT64 || dtype === DataType.INT32 || dtype === DataType.INT16 || dtype === DataType.INT8 ||
    dtype === DataType.UINT64 || dtype === DataType.UINT32 || dtype === DataType.UINT16 || dtype === DataType.UINT8 ||
    dtype === DataType.BOOL
  );
}

/** Makes a value fit its dtype after folding (integer division truncates toward zero in ONNX). */
export function castValue(v: number, dtype: number): number {
  if (dtype === DataType.BOOL) return v ? 1 : 0;
  if (isIntegerType(dtype)) return Math.trunc(v);
  if (dtype === DataType.FLOAT) return Math.fround(v);
  return v;
}

/** A rule with the same shape and dtype as input 0 (activations, normalisations). */
export function sameShape(ctx: ShapeContext): InferredOutput[] {
  return [{ shape: [...ctx.shape(0)] }];
}
