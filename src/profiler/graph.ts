// An index over a model's graph: nodes in topological order, who produces and who reads each tensor,
// initializers by name. Every profiler stage works on this instead of re-scanning the protobuf lists.
import type { INodeProto, ITensorProto, Model } from '../onnx/proto.ts';

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
  const nodes = topologicalOrder(g.node, new Set([...initializers.keys(), ...g.input.map((i) => i.name ?? '')]));
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
  // Old exporters list every initializer among the graph inputs too: those are weights, not inputs.
  const dynamicInputs = g.input.map((i) => i.name ?? '').filter((n) => n && !initializers.has(n));
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

/**
 * The file's order when it is already topological (ONNX requires it), else Kahn's algorithm: graph surgery
 * may append nodes anywhere. Nodes whose inputs can never be produced keep their place at the end.
 */
function topologicalOrder(nodes: INodeProto[], available: Set<string>): INodeProto[] {
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => nodeOutputs(n).forEach((o) => o && producedBy.set(o, i)));
  const isPending = (x: string) => x !== '' && !available.has(x) && producedBy.has(x);
  const seen = new Set<string>();
  const sorted = nodes.every((n) => {
    const ok = nodeInputs(n).every((x) => !isPending(x) || seen.has(x));
    nodeOutputs(n).forEach((o) => seen.add(o));
    return ok;
  });
  if (sorted) return nodes;

  const pending = nodes.map((n) => new Set(nodeInputs(n).filter(isPending)).size);
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const x of new Set(nodeInputs(n).filter(isPending))) readers.set(x, [...(readers.get(x) ?? []), i]);
  });
  const queue = pending.flatMap((p, i) => (p === 0 ? [i] : []));
  const done = new Array<boolean>(nodes.length).fill(false);
  const order: INodeProto[] = [];
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head];
    done[i] = true;
    order.push(nodes[i]);
    for (const out of nodeOutputs(nodes[i])) {
      for (const j of readers.get(out) ?? []) if (--pending[j] === 0) queue.push(j);
    }
  }
  nodes.forEach((n, i) => !done[i] && order.push(n));
  return order;
}
