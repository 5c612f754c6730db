// The profiler's public API: shapes, MACs/FLOPs/params per node, and groups (backbone stages, neck,
// head per pyramid level and subnet, post) found from the graph's structure.
import type { Model } from '../onnx/proto.ts';
import { countNode } from './count.ts';
import { indexGraph, type GraphIndex } from './graph.ts';
import { assignGroups } from './grouping/assign.ts';
import { resolveInputShapes } from './inputs.ts';
import { compareGroupNames, groupSum as sumOfGroups } from './group-names.ts';
import { runShapeInference } from './shapes/infer.ts';
import type { GroupProfile, NodeProfile, Profile, ProfileOptions } from './types.ts';

export type { GroupProfile, GroupRule, NodeProfile, Profile, ProfileOptions } from './types.ts';
export { allRules } from './ops/registry.ts';

/** Every tensor's shape (inputs, initializers, node outputs) for the given input shapes. */
export function inferShapes(model: Model, inputShapes: Record<string, number[]> = {}): Map<string, number[]> {
  const index = indexGraph(model);
  const { tensors } = runShapeInference(index, resolveInputShapes(index, inputShapes));
  return new Map([...tensors].map(([name, t]) => [name, t.shape]));
}

export function profileModel(model: Model, options: ProfileOptions = {}): Profile {
  const index: GraphIndex = indexGraph(model);
  const inputs = resolveInputShapes(index, options.inputShapes);
  const { tensors, warnings } = runShapeInference(index, inputs, options.strict ?? false);
  const costs = index.nodes.map((node) => countNode(index, node, tensors));
  const { groups: nodeGroups, warnings: groupWarnings } = assignGroups(index, tensors, options.groups);

  const nodes: NodeProfile[] = index.nodes.map((node, i) => ({
    name: node.name || (node.output ?? [])[0] || `${node.opType}_${i}`,
    op: node.opType ?? '',
    inputs: [...(node.input ?? [])],
    outputs: [...(node.output ?? [])],
    outputShapes: costs[i].outputShapes,
    macs: costs[i].macs,
    flops: costs[i].flops,
    params: costs[i].params,
    outputBytes: costs[i].outputBytes,
    group: nodeGroups[i],
  }));

  // A weight read by several nodes (a head shared across levels) counts once in the total.
  const uniqueWeights = new Map<string, number>();
  for (const c of costs) for (const [name, n] of c.weights) uniqueWeights.set(name, n);
  const totals = {
    macs: sum(nodes.map((n) => n.macs)),
    flops: sum(nodes.map((n) => n.flops)),
    params: sum([...uniqueWeights.values()]),
  };
  return {
    model: model.graph.name || undefined,
    inputs: [...inputs].map(([name, shape]) => ({ name, shape })),
    totals,
    groups: groupTotals(nodes, totals),
    nodes,
    warnings: [...warnings, ...groupWarnings],
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function groupTotals(nodes: NodeProfile[], totals: { macs: number; flops: number }): GroupProfile[] {
  const byName = new Map<string, GroupProfile>();
  for (const n of nodes) {
    const g = byName.get(n.group) ?? { name: n.group, macs: 0, flops: 0, share: 0 };
    g.macs += n.macs;
    g.flops += n.flops;
    byName.set(n.group, g);
  }
  const useMacs = totals.macs > 0;
  for (const g of byName.values()) g.share = useMacs ? g.macs / totals.macs : totals.flops > 0 ? g.flops / totals.flops : 0;
  return [...byName.values()].sort((a, b) => compareGroupNames(a.name, b.name));
}

/** Sum of a profile's groups under a prefix (group-names.ts). */
export function groupSum(profile: Profile, prefix: string): { macs: number; flops: number } {
  return sumOfGroups(profile.groups, prefix);
}
