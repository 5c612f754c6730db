// An index over a model's graph: nodes in topological order, who produces and who reads each tensor,
// initializers by name. Every profiler stage works on this instead of re-scanning the protobuf lists.
import { runtimeInputNames } from '../onnx/image-input.ts';
import type { INodeProto, ITensorProto, Model } from '../onnx/proto.ts';
import { topologicalOrder } from '../onnx/topological-order.ts';

export interface GraphIndex {
  model: Model;
  /** Nodes in a topological order (the file's order when it is already one). */
  nodes: INodeProto[];
  /** Opset of the default ONNX domain. */
  opset: number;
  initializers: Map<string, ITensorProto>;
  /** Tensor name -> index (into `nodes`) of the node that writes it. */
  producer: Map<string, number>;
  /** Tensor name -> indices of the nodes that read it. */
  consumers: Map<string, number[]>;
  /** Names of the graph inputs that are fed at run time (initializers listed as inputs excluded). */
  dynamicInputs: string[];
  graphOutputs: Set<string>;
}

export function nodeInputs(node: INodeProto): string[] {
  return node.input ?? [];
}

export function nodeOutputs(node: INodeProto): string[] {
  return node.output ?? [];
}

export function defaultOpset(model: Model): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) return 13;
  const v = entry.version;
  return typeof v === 'number' ? v : v ? v.toNumber() : 13;
}

export function indexGraph(model: Model): GraphIndex {
  const g = model.graph;
  const initializers = new Map<string, ITensorProto>();
  for (const t of g.initializer) initializers.set(t.name ?? '', t);
  // A cycle does not stop the profiler: its nodes go last and count what their shapes allow.
  const nodes = topologicalOrder(g.node, new Set([...initializers.keys(), ...g.input.map((i) => i.name ?? '')]), 'append');
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((node, i) => {
    for (const out of nodeOutputs(node)) if (out) producer.set(out, i);
    for (const inp of nodeInputs(node)) {
      if (!inp) continue;
      const list = consumers.get(inp);
      if (list) {
        if (list[list.length - 1] !== i) list.push(i);
      } else consumers.set(inp, [i]);
    }
  });
  const dynamicInputs = runtimeInputNames(model);
  return {
    model,
    nodes,
    opset: defaultOpset(model),
    initializers,
    producer,
    consumers,
    dynamicInputs,
    graphOutputs: new Set(g.output.map((o) => o.name ?? '')),
  };
}
