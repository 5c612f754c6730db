// A Conv node read into plain numbers: weights, bias and geometry. Blocks are built from this and written
// back as Conv nodes with the same layout, so the surgery never has to look at protobuf details again.
import { InputError } from '../errors.ts';
import { attrInt, attrInts, attrString } from '../onnx/attributes.ts';
import type { INodeProto } from '../onnx/proto.ts';
import { float32Tensor, tensorDims, tensorToFloat32 } from '../onnx/tensor.ts';
import { intAttr, intsAttr, makeNode, type GraphEditor } from '../onnx/graph-edit.ts';

/** One linear convolution: weight [cout, cin/group, kh, kw], bias [cout], ONNX geometry. */
export interface ConvLayer {
  weight: Float32Array;
  /** [cout, cin / group, kh, kw] */
  dims: [number, number, number, number];
  bias: Float32Array;
  group: number;
  /** [top, left, bottom, right] as ONNX orders them. */
  pads: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
}

export interface ConvSpec extends ConvLayer {
  /** The node's name (unique in the graph), used to name what replaces it. */
  name: string;
  input: string;
  output: string;
}

export function outChannels(c: ConvLayer): number {
  return c.dims[0];
}

export function inChannels(c: ConvLayer): number {
  return c.dims[1] * c.group;
}

/** Reads a Conv node; its weight (and bias) must be constant tensors, possibly behind Identity nodes. */
export function readConv(editor: GraphEditor, node: INodeProto): ConvSpec {
  const name = node.name ?? '';
  const [input, weightName, biasName] = node.input ?? [];
  const weightTensor = weightName ? editor.resolveInitializer(weightName) : undefined;
  if (!input || !weightTensor) throw new InputError(`conv ${name}: weight is not a constant initializer`);
  const dims = tensorDims(weightTensor);
  if (dims.length !== 4) throw new InputError(`conv ${name}: only 2-D convolutions can be replaced (weight has ${dims.length} dims)`);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new InputError(`conv ${name}: auto_pad ${autoPad} is not supported`);
  const biasTensor = biasName ? editor.resolveInitializer(biasName) : undefined;
  if (biasName && !biasTensor) throw new InputError(`conv ${name}: bias is not a constant initializer`);
  const pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  const strides = attrInts(node, 'strides', [1, 1]);
  const dilations = attrInts(node, 'dilations', [1, 1]);
  return {
    name,
    input,
    output: (node.output ?? [])[0] ?? '',
    weight: tensorToFloat32(weightTensor),
    dims: [dims[0]!, dims[1]!, dims[2]!, dims[3]!],
    bias: biasTensor ? tensorToFloat32(biasTensor) : new Float32Array(dims[0]!),
    group: attrInt(node, 'group', 1),
    pads: [pads[0]!, pads[1]!, pads[2]!, pads[3]!],
    strides: [strides[0]!, strides[1]!],
    dilations: [dilations[0]!, dilations[1]!],
  };
}

/** Initializer names of one written layer, so fitted or trained weights can be put back by name. */
export interface WrittenLayer {
  /** The Conv node written. */
  node: string;
  weight: string;
  bias: string;
}

/**
 * Writes a chain of conv layers in place of `node`: the first reads the node's input, the last writes its
 * output, fresh names (prefixed by the node's name) for everything in between.
 */
export function writeChain(editor: GraphEditor, node: INodeProto, spec: ConvSpec, kind: string, layers: ConvLayer[]): WrittenLayer[] {
  const nodes: INodeProto[] = [];
  const written: WrittenLayer[] = [];
  let current = spec.input;
  layers.forEach((layer, i) => {
    const stem = `${spec.name}/${kind}.${i}`;
    const weight = editor.uniqueName(`${stem}.weight`);
    const bias = editor.uniqueName(`${stem}.bias`);
    editor.addInitializer(float32Tensor(weight, layer.dims, layer.weight));
    editor.addInitializer(float32Tensor(bias, [layer.dims[0]], layer.bias));
    const output = i === layers.length - 1 ? spec.output : editor.uniqueName(`${stem}_output`);
    const name = editor.uniqueName(`${stem}/Conv`);
    nodes.push(
      makeNode('Conv', name, [current, weight, bias], [output], [
        intsAttr('dilations', layer.dilations),
        intAttr('group', layer.group),
        intsAttr('kernel_shape', [layer.dims[2], layer.dims[3]]),
        intsAttr('pads', layer.pads),
        intsAttr('strides', layer.strides),
      ]),
    );
    written.push({ node: name, weight, bias });
    current = output;
  });
  editor.replaceNode(node, nodes);
  return written;
}
