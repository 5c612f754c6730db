// Builds small ONNX models in memory for shape-rule tests.
import { onnx, type Model, type INodeProto, type ITensorProto } from '../../src/onnx/proto.ts';
import { float32Tensor, int64Tensor } from '../../src/onnx/tensor.ts';

/** A FLOATS attribute (a plain number[] is written as INTS). */
export interface FloatList {
  floatList: number[];
}
export const floatsAttr = (values: number[]): FloatList => ({ floatList: values });

type Attr = number | number[] | string | ITensorProto | FloatList;

export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, name?: string): INodeProto {
  const attribute = Object.entries(attrs).map(([key, v]) => {
    const A = onnx.AttributeProto.AttributeType;
    if (typeof v === 'number') {
      return Number.isInteger(v) ? { name: key, type: A.INT, i: v } : { name: key, type: A.FLOAT, f: v };
    }
    if (typeof v === 'string') return { name: key, type: A.STRING, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name: key, type: A.INTS, ints: v };
    if ('floatList' in v) return { name: key, type: A.FLOATS, floats: v.floatList };
    return { name: key, type: A.TENSOR, t: v };
  });
  return onnx.NodeProto.create({ opType: op, input: inputs, output: outputs, name: name ?? outputs[0], attribute });
}

export function input(name: string, dims: (number | string)[], elemType = 1) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export function ints(name: string, values: number[], dims = [values.length]): ITensorProto {
  return int64Tensor(name, dims, values);
}

export function floats(name: string, dims: number[], fill = 0): ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  return float32Tensor(name, dims, new Float32Array(n).fill(fill));
}

export function model(opset: number, nodes: INodeProto[], inputs: ReturnType<typeof input>[], initializers: ITensorProto[] = []): Model {
  const outputs = nodes.length > 0 ? (nodes[nodes.length - 1].output ?? []).map((o) => onnx.ValueInfoProto.create({ name: o })) : [];
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'tiny', node: nodes, input: inputs, output: outputs, initializer: initializers, valueInfo: [] },
  }) as Model;
}

/** A one-element INT64_MAX tensor, as exporters write "slice to the end". */
export function int64Max(name: string): ITensorProto {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigInt64(0, 9223372036854775807n, true);
  return onnx.TensorProto.create({ name, dims: [1], dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
}
