// Convolutions. Shapes per the ONNX Conv / ConvTranspose spec (auto_pad, pads, strides, dilations).
import { attrInt, attrInts, attrString } from '../../onnx/attributes.ts';
import type { INodeProto } from '../../onnx/proto.ts';
import { elementCount } from '../../onnx/tensor.ts';
import { ShapeError, type OpRule, type ShapeContext } from './rule.ts';

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  autoPad: string;
}

/** Kernel window attributes shared by Conv and the pooling ops; `kernel` falls back to the weight's dims. */
export function windowAttributes(node: INodeProto, spatialRank: number, kernelFallback: number[]): Window {
  const kernel = attrInts(node, 'kernel_shape', kernelFallback);
  if (kernel.length !== spatialRank) throw new ShapeError(`kernel_shape [${kernel}] does not fit ${spatialRank} spatial dims`);
  const ones = new Array<number>(spatialRank).fill(1);
  const pads = attrInts(node, 'pads', new Array<number>(2 * spatialRank).fill(0));
  return {
    kernel,
    strides: attrInts(node, 'strides', ones),
    dilations: attrInts(node, 'dilations', ones),
    padsBegin: pads.slice(0, spatialRank),
    padsEnd: pads.slice(spatialRank),
    autoPad: attrString(node, 'auto_pad', 'NOTSET'),
  };
}

/** Output spatial size of a sliding window (Conv, MaxPool, AveragePool). */
export function windowOutput(input: number[], w: Window, ceilMode = false): number[] {
  return input.map((size, i) => {
    const span = (w.kernel[i] - 1) * w.dilations[i] + 1;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(size / w.strides[i]);
    if (w.autoPad === 'VALID') return Math.floor((size - span) / w.strides[i]) + 1;
    const padded = size + w.padsBegin[i] + w.padsEnd[i] - span;
    if (padded < 0) throw new ShapeError(`window of ${span} does not fit spatial size ${size}`);
    if (!ceilMode) return Math.floor(padded / w.strides[i]) + 1;
    let out = Math.ceil(padded / w.strides[i]) + 1;
    // The last window must start inside the input or its left padding (PyTorch and the ONNX reference).
    if ((out - 1) * w.strides[i] >= size + w.padsBegin[i]) out--;
    return out;
  });
}

function convInfer(ctx: ShapeContext) {
  const x = ctx.shape(0);
  const wt = ctx.shape(1);
  if (x.length < 3 || wt.length !== x.length) throw new ShapeError(`input [${x}] and weight [${wt}] ranks do not fit`);
  const group = attrInt(ctx.node, 'group', 1);
  if (x[1] !== wt[1] * group) throw new ShapeError(`input has ${x[1]} channels, weight expects ${wt[1]} x group ${group}`);
  const w = windowAttributes(ctx.node, x.length - 2, wt.slice(2));
  return [{ shape: [x[0], wt[0], ...windowOutput(x.slice(2), w)] }];
}

function convTransposeInfer(ctx: ShapeContext) {
  const x = ctx.shape(0);
  const wt = ctx.shape(1);
  const group = attrInt(ctx.node, 'group', 1);
  const spatial = x.length - 2;
  const w = windowAttributes(ctx.node, spatial, wt.slice(2));
  const outputShape = attrInts(ctx.node, 'output_shape', []);
  const outputPadding = attrInts(ctx.node, 'output_padding', new Array<number>(spatial).fill(0));
  const dims = x.slice(2).map((size, i) => {
    if (outputShape.length > 0) return outputShape[outputShape.length - spatial + i];
    const span = (w.kernel[i] - 1) * w.dilations[i] + 1;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return size * w.strides[i];
    return w.strides[i] * (size - 1) + outputPadding[i] + span - w.padsBegin[i] - w.padsEnd[i];
  });
  return [{ shape: [x[0], wt[1] * group, ...dims] }];
}

export const convRules: OpRule[] = [
  {
    op: 'Conv',
    family: 'conv',
    hasWeights: true,
    rule: 'MACs = output elements x (Cin/group) x kernel area; FLOPs = 2 x MACs + output elements when a bias is given (its adds)',
    infer: convInfer,
    count(ctx) {
      const out = ctx.outputShapes[0];
      const wt = ctx.inputShapes[1] ?? [];
      const macs = elementCount(out) * elementCount(wt.slice(1));
      return { macs, flops: 2 * macs + (ctx.has(2) ? elementCount(out) : 0) };
    },
  },
  {
    op: 'ConvTranspose',
    family: 'conv',
    hasWeights: true,
    rule: 'MACs = input elements x (Cout/group) x kernel area (each input scatters one kernel); FLOPs = 2 x MACs + output elements with bias',
    infer: convTransposeInfer,
    count(ctx) {
      const x = ctx.inputShapes[0] ?? [];
      const wt = ctx.inputShapes[1] ?? [];
      const macs = elementCount(x) * elementCount(wt.slice(1));
      return { macs, flops: 2 * macs + (ctx.has(2) ? elementCount(ctx.outputShapes[0]) : 0) };
    },
  },
];
