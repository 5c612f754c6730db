// Matrix products (MatMul with numpy broadcasting, Gemm).
import { attrInt } from '../../onnx/attributes.ts';
import type { INodeProto } from '../../onnx/proto.ts';
import { elementCount } from '../../onnx/tensor.ts';
import { ShapeError, broadcastShapes, type OpRule, type ShapeContext } from './rule.ts';

function matmulShape(a: number[], b: number[]): { shape: number[]; k: number } {
  if (a.length === 0 || b.length === 0) throw new ShapeError('MatMul of a scalar');
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const k = a2[a2.length - 1];
  if (k !== b2[b2.length - 2]) throw new ShapeError(`MatMul inner dims differ: [${a}] x [${b}]`);
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  const shape = [...batch];
  if (a.length > 1) shape.push(a2[a2.length - 2]);
  if (b.length > 1) shape.push(b2[b2.length - 1]);
  return { shape, k };
}

function gemmDims(node: INodeProto, a: number[], b: number[]) {
  const [m, k] = attrInt(node, 'transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = attrInt(node, 'transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
  if (k !== kb) throw new ShapeError(`Gemm inner dims differ: ${k} vs ${kb}`);
  return { m, n, k };
}

export const matmulRules: OpRule[] = [
  {
    op: 'MatMul',
    family: 'matmul',
    hasWeights: true,
    rule: 'MACs = output elements x inner dim K; FLOPs = 2 x MACs',
    infer: (ctx: ShapeContext) => [{ shape: matmulShape(ctx.shape(0), ctx.shape(1)).shape }],
    count(ctx) {
      const { shape, k } = matmulShape(ctx.inputShapes[0] ?? [], ctx.inputShapes[1] ?? []);
      const macs = elementCount(shape) * k;
      return { macs, flops: 2 * macs };
    },
  },
  {
    op: 'Gemm',
    family: 'matmul',
    hasWeights: true,
    rule: 'MACs = M x N x K; FLOPs = 2 x MACs + M x N when C is given (alpha/beta scaling not counted)',
    infer(ctx) {
      const a = ctx.shape(0);
      const b = ctx.shape(1);
      if (a.length !== 2 || b.length !== 2) throw new ShapeError(`Gemm needs 2-D inputs, got [${a}] and [${b}]`);
      const { m, n } = gemmDims(ctx.node, a, b);
      return [{ shape: [m, n] }];
    },
    count(ctx) {
      const { m, n, k } = gemmDims(ctx.node, ctx.inputShapes[0] ?? [0, 0], ctx.inputShapes[1] ?? [0, 0]);
      const macs = m * n * k;
      return { macs, flops: 2 * macs + (ctx.has(2) ? m * n : 0) };
    },
  },
];
