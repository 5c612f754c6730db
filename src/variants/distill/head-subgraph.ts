// The part of a variant that distillation trains: the head at the changed levels, from the tensors entering it
// (neck features, frozen, so they can be computed once and cached) to its outputs (the raw predictor maps the
// post-processing reads). Every Conv in it becomes trainable: its weight and bias turn into graph inputs
// (parameters); other constants are copied in. Trained values go back into the variant under the same convs.
import { InputError } from '../../errors.ts';
import type { INodeProto, ITensorProto, Model } from '../../onnx/proto.ts';
import { float32Tensor, tensorDims, tensorToFloat32 } from '../../onnx/tensor.ts';
import { attrInt, attrInts } from '../../onnx/attributes.ts';
import type { Profile } from '../../profiler/index.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';

/** One trainable tensor: a conv's weight or bias. */
export interface HeadParam {
  /** Graph input name in the subgraph (`p3.weight`). */
  name: string;
  /** The variant's Conv node it belongs to. */
  conv: string;
  role: 'weight' | 'bias';
  dims: number[];
  values: Float32Array;
}

export interface HeadSubgraph {
  /** Tensors entering the head (cached features), in a fixed order. */
  inputs: string[];
  /** Head outputs at the changed levels (teacher and student are compared here). */
  outputs: string[];
  /** Forward nodes in topological order; Conv weights and biases read `params` by name. */
  nodes: INodeProto[];
  params: HeadParam[];
  /** Constant tensors other nodes read (copied from the variant). */
  constants: ITensorProto[];
  /** Static shapes at batch 1 (strided convs, Slice, Concat, Resize need them for their gradients). */
  shapes?: Map<string, number[]>;
}

const HEAD_GROUP = /^head\/(P\d+)(\/|$)/;

/**
 * The boundary of the head at `levels` in the ORIGINAL model (the variant keeps these tensor names: blocks are
 * written between the replaced conv's input and output): what enters it and what leaves it.
 */
export function headBoundary(original: Model, profile: Profile, levels: readonly string[]): { inputs: string[]; outputs: string[] } {
  const groupOf = new Map(profile.nodes.map((n) => [n.name, n.group]));
  const inLevel = (n: INodeProto): boolean => {
    const m = HEAD_GROUP.exec(groupOf.get(n.name ?? '') ?? '');
    return m !== null && levels.includes(m[1]!);
  };
  const editor = new GraphEditor(original);
  const head = original.graph.node.filter(inLevel);
  if (head.length === 0) throw new InputError(`--levels ${levels.join(',')}: the model has no head nodes there`);
  const produced = new Set(head.flatMap((n) => n.output ?? []));
  const graphOutputs = new Set(original.graph.output.map((o) => o.name ?? ''));
  const inputs: string[] = [];
  for (const n of head) {
    for (const i of n.input ?? []) {
      if (!i || produced.has(i) || inputs.includes(i) || editor.resolveInitializer(i)) continue;
      const p = editor.producerOf(i);
      if (p?.opType === 'Constant') continue;
      inputs.push(i);
    }
  }
  const outputs = [...produced].filter(
    (t) => graphOutputs.has(t) || editor.consumersOf(t).some((c) => !inLevel(c)),
  );
  return { inputs, outputs };
}

/** The nodes of `variant` between `inputs` and `outputs`, made trainable. */
export function extractHead(variant: Model, inputs: readonly string[], outputs: readonly string[]): HeadSubgraph {
  const editor = new GraphEditor(variant);
  const boundary = new Set(inputs);
  const keep = new Set<INodeProto>();
  const todo = [...outputs];
  while (todo.length > 0) {
    const t = todo.pop()!;
    if (boundary.has(t) || editor.resolveInitializer(t)) continue;
    const p = editor.producerOf(t);
    if (!p) throw new InputError(`head tensor ${t} has no producer between the head inputs and outputs`);
    if (keep.has(p)) continue;
    keep.add(p);
    if (p.opType === 'Conv') todo.push((p.input ?? [])[0] ?? '');
    else todo.push(...(p.input ?? []).filter((i) => i));
  }
  const order = variant.graph.node.filter((n) => keep.has(n));
  const params: HeadParam[] = [];
  const constants = new Map<string, ITensorProto>();
  const nodes: INodeProto[] = order.map((n) => {
    const inputsOf = [...(n.input ?? [])];
    if (n.opType === 'Conv') {
      const name = n.name ?? '';
      const w = editor.resolveInitializer(inputsOf[1] ?? '');
      if (!w) throw new InputError(`conv ${name}: weight is not a constant initializer`);
      const dims = tensorDims(w);
      if (attrInts(n, 'dilations', [1, 1]).some((d) => d !== 1)) throw new InputError(`conv ${name}: distillation trains undilated convs only`);
      const group = attrInt(n, 'group', 1);
      if (group !== 1 && dims[1] !== 1) throw new InputError(`conv ${name}: grouped conv with ${dims[1]} channels per group (only plain and depthwise convs train)`);
      const b = inputsOf[2] ? editor.resolveInitializer(inputsOf[2]) : undefined;
      const k = params.length / 2;
      params.push({ name: `p${k}.weight`, conv: name, role: 'weight', dims, values: tensorToFloat32(w) });
      params.push({ name: `p${k}.bias`, conv: name, role: 'bias', dims: [dims[0]!], values: b ? tensorToFloat32(b) : new Float32Array(dims[0]!) });
      return { ...n, input: [inputsOf[0]!, `p${k}.weight`, `p${k}.bias`] };
    }
    for (const i of inputsOf) {
      const c = i ? editor.resolveInitializer(i) : undefined;
      if (c) constants.set(i, { ...c, name: i });
    }
    return { ...n };
  });
  return { inputs: [...inputs], outputs: [...outputs], nodes, params, constants: [...constants.values()] };
}

/**
 * Writes trained parameter values back into the variant (edited in place through `editor`). A conv whose weight
 * is read by another node too (a weight shared across levels) gets its own copy, so the other levels keep theirs.
 */
export function writeHeadParams(editor: GraphEditor, params: readonly HeadParam[]): void {
  for (const p of params) {
    const node = editor.model.graph.node.find((n) => n.name === p.conv);
    if (!node) throw new Error(`distill: conv ${p.conv} is not in the variant`);
    const slot = p.role === 'weight' ? 1 : 2;
    const current = (node.input ?? [])[slot];
    const own = current !== undefined && current !== '' && editor.initializer(current) !== undefined && editor.consumersOf(current).length === 1;
    if (own) {
      editor.setInitializer(float32Tensor(current, p.dims, p.values));
    } else {
      const name = editor.uniqueName(`${p.conv}.distilled.${p.role}`);
      editor.addInitializer(float32Tensor(name, p.dims, p.values));
      const inputs = [...(node.input ?? [])];
      while (inputs.length <= slot) inputs.push('');
      inputs[slot] = name;
      node.input = inputs;
    }
  }
}
