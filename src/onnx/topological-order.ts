// One topological order for every stage: a stable Kahn sort (among ready nodes the earliest in the list goes
// first), so a graph already in order (ONNX requires it) keeps the file's order exactly, and graph surgery
// that appends nodes anywhere gets them placed right after what they read.
import type { INodeProto } from './proto.ts';

export type OnCycle = 'throw' | 'append';

/**
 * The nodes in a topological order. `available` names tensors that exist before any node runs (graph inputs,
 * initializers): reading them waits on nothing. Nodes on a cycle (or fed by one) either make it throw, or,
 * with onCycle 'append', keep their relative order at the end (the profiler still counts what it can).
 */
export function topologicalOrder(nodes: readonly INodeProto[], available: ReadonlySet<string>, onCycle: OnCycle): INodeProto[] {
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && !available.has(o) && producedBy.set(o, i)));
  const waiting = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  let inOrder = true;
  nodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const input of n.input ?? []) {
      const p = input ? producedBy.get(input) : undefined;
      if (p !== undefined && p !== i) deps.add(p);
    }
    waiting[i] = deps.size;
    for (const d of deps) {
      dependents[d].push(i);
      if (d > i) inOrder = false;
    }
  });
  if (inOrder) return [...nodes];

  const ready: number[] = [];
  nodes.forEach((_, i) => { if (waiting[i] === 0) ready.push(i); });
  const order: number[] = [];
  const done = new Array<boolean>(nodes.length).fill(false);
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(i);
    done[i] = true;
    for (const j of dependents[i]) if (--waiting[j] === 0) insertSorted(ready, j);
  }
  if (order.length !== nodes.length) {
    if (onCycle === 'throw') throw new Error('graph has a cycle; cannot sort it');
    nodes.forEach((_, i) => !done[i] && order.push(i));
  }
  return order.map((i) => nodes[i]);
}

function insertSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}
