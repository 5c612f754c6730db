// One import point for the ONNX protobuf classes (onnx-proto ships a CommonJS bundle built on protobufjs).
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export type NodeProto = onnxProto.onnx.NodeProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.TensorProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.AttributeProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.ValueInfoProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
export const DataType = onnxProto.onnx.TensorProto.DataType;
export const AttributeType = onnxProto.onnx.AttributeProto.AttributeType;

/** protobufjs gives int64 fields as Long objects (or numbers); this makes them plain numbers. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * A decoded model whose graph is present: protobufjs fills repeated fields with arrays on decode, so after
 * `loadModel` the graph's lists are never null. Stages take this type instead of re-checking.
 */
export interface Graph extends onnxProto.onnx.GraphProto {
  node: INodeProto[];
  initializer: ITensorProto[];
  input: IValueInfoProto[];
  output: IValueInfoProto[];
  valueInfo: IValueInfoProto[];
}
export interface Model extends onnxProto.onnx.ModelProto {
  graph: Graph;
}
