// A tiny builder for the ONNX graphs distillation runs (forward, loss, hand-written backward): fresh tensor
// names, nodes with attributes, scalar and int64 constants.
import { AttributeType, onnx, type IAttributeProto, type INodeProto, type ITensorProto } from '../../onnx/proto.ts';
import { float32Tensor, int64Tensor } from '../../onnx/tensor.ts';

export type Attr = number | number[] | { f: number };

function attribute(name: string, value: Attr): IAttributeProto {
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value });
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.f });
}

export class GraphBuilder {
  readonly nodes: INodeProto[] = [];
  readonly constants: ITensorProto[] = [];
  private count = 0;
  private scalars = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  fresh(stem: string): string {
    return `${this.prefix}/${stem}_${this.count++}`;
  }

  /** Adds a node with one output; returns the output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    return this.opOutputs(opType, inputs, [output ?? this.fresh(opType)], attrs)[0]!;
  }

  /** Adds a node with several outputs (MaxPool's values and indices); returns their names. */
  opOutputs(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): string[] {
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        name: this.fresh(`${opType}_node`),
        input: inputs,
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs;
  }

  /** A float scalar constant (shared by value). */
  scalar(value: number): string {
    const key = String(value);
    const known = this.scalars.get(key);
    if (known) return known;
    const name = this.fresh('scalar');
    this.constants.push(float32Tensor(name, [], Float32Array.of(value)));
    this.scalars.set(key, name);
    return name;
  }

  /** A float tensor constant (interpolation matrices). */
  floats(values: Float32Array, dims: number[]): string {
    const name = this.fresh('floats');
    this.constants.push(float32Tensor(name, dims, values));
    return name;
  }

  /** An int64 vector constant (shapes, axes). */
  ints(values: number[]): string {
    const name = this.fresh('ints');
    this.constants.push(int64Tensor(name, [values.length], values));
    return name;
  }
}
