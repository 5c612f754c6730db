// The weight tensor behind a tensor name. Exporters deduplicate equal weights by making one initializer and
// Identity copies of it (the RetinaNet export does this for its zero weights), and some skip initializers and
// emit Constant nodes instead; both the profiler (params) and the graph editor (reading conv weights) follow
// them the same way.
import { attrTensor } from './attributes.ts';
import type { INodeProto, ITensorProto } from './proto.ts';

/** Identity chains longer than this are not followed (a guard against malformed graphs, not a real limit). */
export const MAX_WEIGHT_HOPS = 32;

export interface WeightLookup {
  initializer(name: string): ITensorProto | undefined;
  producer(name: string): INodeProto | undefined;
}

/** The initializer (or Constant value) a tensor is a copy of, through Identity nodes; undefined for activations. */
export function resolveWeight(lookup: WeightLookup, name: string): ITensorProto | undefined {
  let current = name;
  for (let hops = 0; hops < MAX_WEIGHT_HOPS; hops++) {
    const init = lookup.initializer(current);
    if (init) return init;
    const node = lookup.producer(current);
    if (!node) return undefined;
    if (node.opType === 'Constant') return attrTensor(node, 'value');
    if (node.opType !== 'Identity') return undefined;
    current = (node.input ?? [])[0] ?? '';
  }
  return undefined;
}
