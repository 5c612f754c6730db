// Input-size rewrite for static exports (NanoDet, YOLOX): the graph's input shape is fixed and some shape
// constants were frozen at the export size (NanoDet's channel-shuffle Reshapes to [1, 2, C, H/s, W/s]).
// Rewriting the input dims and every constant whose trailing pair is a feature-map size (H/s, W/s) of the
// export size lets onnxruntime run the same weights at another size. Graphs with a dynamic H/W (torchvision
// RetinaNet computes its shapes with Shape ops) only get their input dims fixed.
import { InputError } from '../errors.ts';
import { attrTensor } from './attributes.ts';
import { findImageInput } from './image-input.ts';
import { cloneModel } from './model-io.ts';
import { onnx, toNumber, type INodeProto, type ITensorProto, type Model } from './proto.ts';
import { int64Tensor, tensorDims, tensorToNumbers } from './tensor.ts';

/** Rewrites are allowed at multiples of the largest stride of the detectors here (P5 = 32). */
export const INPUT_SIZE_MULTIPLE = 32;
/** Feature-map strides a size constant may refer to (input / s). */
const STRIDES = [1, 2, 4, 8, 16, 32, 64, 128];
/** Inputs that carry a target shape or size: Reshape's `shape`, Resize's `sizes`, Expand's `shape`. */
const SHAPE_INPUTS: Record<string, number> = { Reshape: 1, Resize: 3, Expand: 1 };

export interface InputSizeRewrite {
  model: Model;
  /** "tensor name: [old] -> [new]" for every rewritten constant. */
  rewritten: string[];
}

/** The model at input height x width (a copy; the original is untouched). */
export function withInputSize(model: Model, height: number, width: number): Model {
  return rewriteInputSize(model, height, width).model;
}

/** As withInputSize, with the list of rewritten constants. */
export function rewriteInputSize(source: Model, height: number, width: number): InputSizeRewrite {
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v % INPUT_SIZE_MULTIPLE !== 0) {
      throw new InputError(`input ${name} ${v}: must be a positive multiple of ${INPUT_SIZE_MULTIPLE}`);
    }
  }
  const model = cloneModel(source);
  const graph = model.graph;
  const input = findImageInput(model);
  const dims = input?.type?.tensorType?.shape?.dim;
  if (!input || !dims || dims.length !== 4) throw new InputError(`model input ${input?.name ?? '?'}: expected an NCHW image input`);
  const oldHeight = dims[2].dimParam ? undefined : toNumber(dims[2].dimValue);
  const oldWidth = dims[3].dimParam ? undefined : toNumber(dims[3].dimValue);
  dims[2] = onnx.TensorShapeProto.Dimension.create({ dimValue: height });
  dims[3] = onnx.TensorShapeProto.Dimension.create({ dimValue: width });
  const rewritten: string[] = [];
  if (oldHeight === undefined || oldWidth === undefined || (oldHeight === height && oldWidth === width)) {
    return { model, rewritten };
  }

  const initializers = new Map(graph.initializer.map((t, i) => [t.name ?? '', i]));
  const constants = new Map<string, INodeProto>();
  for (const node of graph.node) if (node.opType === 'Constant' && node.output?.[0]) constants.set(node.output[0], node);
  const done = new Set<string>();
  for (const node of graph.node) {
    const slot = SHAPE_INPUTS[node.opType ?? ''];
    const name = slot === undefined ? undefined : node.input?.[slot];
    if (!name || done.has(name)) continue;
    done.add(name);
    const tensor = initializers.has(name) ? graph.initializer[initializers.get(name)!] : constantTensor(constants.get(name));
    if (!tensor) continue; // computed at run time from Shape ops: follows the input by itself
    const values = tensorToNumbers(tensor);
    const mapped = mapSpatialTail(values, oldHeight, oldWidth, height, width);
    if (!mapped) continue;
    const replacement = int64Tensor(name, tensorDims(tensor), mapped);
    if (tensor.dataType !== replacement.dataType) continue; // only int64 shapes occur in these ops' shape inputs
    if (initializers.has(name)) graph.initializer[initializers.get(name)!] = replacement;
    else setConstantTensor(constants.get(name)!, replacement);
    rewritten.push(`${name}: [${values.join(',')}] -> [${mapped.join(',')}]`);
  }
  // Declared shapes of outputs and intermediates describe the export size: drop them, onnxruntime infers them.
  for (const output of graph.output) if (output.type?.tensorType) output.type.tensorType.shape = null;
  graph.valueInfo = [];
  return { model, rewritten };
}

/**
 * New values when the last two entries are a feature-map size (ceil(H0/s), ceil(W0/s)) of the export size,
 * else undefined. A pair of ones is left alone (global pooling outputs do not depend on the size).
 */
export function mapSpatialTail(values: readonly number[], oldHeight: number, oldWidth: number, height: number, width: number): number[] | undefined {
  if (values.length < 2) return undefined;
  const h = values[values.length - 2];
  const w = values[values.length - 1];
  for (const s of STRIDES) {
    const oh = Math.ceil(oldHeight / s);
    const ow = Math.ceil(oldWidth / s);
    if (oh === 1 && ow === 1) break;
    if (h === oh && w === ow) return [...values.slice(0, -2), Math.ceil(height / s), Math.ceil(width / s)];
  }
  return undefined;
}

function constantTensor(node: INodeProto | undefined): ITensorProto | undefined {
  return node ? attrTensor(node, 'value') : undefined;
}

function setConstantTensor(node: INodeProto, tensor: ITensorProto): void {
  const attr = (node.attribute ?? []).find((a) => a.name === 'value');
  if (attr) attr.t = tensor;
}
