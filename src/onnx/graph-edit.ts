// A small editing layer over a decoded ONNX model: who produces and who consumes each tensor, fresh names, node
// and initializer replacement, a stable topological re-sort and removal of what edits left dead. Variants are
// built by editing a copy, so the caller's model is never changed.
import { AttributeType, DataType, onnx, type IAttributeProto, type INodeProto, type ITensorProto, type Model } from './proto.ts';
import { topologicalOrder } from './topological-order.ts';
import { resolveWeight } from './weights.ts';

export function intsAttr(name: string, ints: readonly number[]): IAttributeProto {
  return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: [...ints] });
}

export function intAttr(name: string, i: number): IAttributeProto {
  return onnx.AttributeProto.create({ name, type: AttributeType.INT, i });
}

export function makeNode(opType: string, name: string, inputs: string[], outputs: string[], attributes: IAttributeProto[] = []): INodeProto {
  return onnx.NodeProto.create({ opType, name, input: inputs, output: outputs, attribute: attributes });
}

export class GraphEditor {
  readonly model: Model;
  private producers = new Map<string, INodeProto>();
  private consumers = new Map<string, INodeProto[]>();
  private initializers = new Map<string, ITensorProto>();
  private names = new Set<string>();
  private stale = true;

  /** Edits `model` in place; pass `cloneModel(model)` to keep the original. */
  constructor(model: Model) {
    this.model = model;
  }

  private index(): void {
    if (!this.stale) return;
    const g = this.model.graph;
    this.producers.clear();
    this.consumers.clear();
    this.initializers.clear();
    this.names.clear();
    for (const t of g.initializer) {
      this.initializers.set(t.name ?? '', t);
      this.names.add(t.name ?? '');
    }
    for (const v of [...g.input, ...g.output, ...g.valueInfo]) this.names.add(v.name ?? '');
    for (const n of g.node) {
      if (n.name) this.names.add(n.name);
      for (const o of n.output ?? []) {
        this.producers.set(o, n);
        this.names.add(o);
      }
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.consumers.get(i) ?? [];
        if (!list.includes(n)) list.push(n);
        this.consumers.set(i, list);
        this.names.add(i);
      }
    }
    this.stale = false;
  }

  producerOf(tensor: string): INodeProto | undefined {
    this.index();
    return this.producers.get(tensor);
  }

  consumersOf(tensor: string): INodeProto[] {
    this.index();
    return this.consumers.get(tensor) ?? [];
  }

  /** Tensors `tensor` depends on (itself and its producers' inputs, transitively). */
  ancestorsOf(tensor: string): Set<string> {
    const seen = new Set<string>();
    const todo = [tensor];
    while (todo.length > 0) {
      const t = todo.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      for (const i of this.producerOf(t)?.input ?? []) if (i) todo.push(i);
    }
    return seen;
  }

  initializer(name: string): ITensorProto | undefined {
    this.index();
    return this.initializers.get(name);
  }

  /** The initializer (or Constant value) behind a tensor, through Identity copies (onnx/weights.ts). */
  resolveInitializer(tensor: string): ITensorProto | undefined {
    return resolveWeight({ initializer: (n) => this.initializer(n), producer: (n) => this.producerOf(n) }, tensor);
  }

  /** A name not yet used by any node, tensor or initializer (`base`, else `base_1`, `base_2`...). */
  uniqueName(base: string): string {
    this.index();
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  addInitializer(t: ITensorProto): void {
    this.index();
    if (this.initializers.has(t.name ?? '')) throw new Error(`initializer ${t.name} already exists`);
    this.model.graph.initializer.push(t);
    this.initializers.set(t.name ?? '', t);
    this.names.add(t.name ?? '');
  }

  /** Replaces an initializer's contents (same name), e.g. with fitted weights. */
  setInitializer(t: ITensorProto): void {
    const g = this.model.graph;
    const at = g.initializer.findIndex((x) => x.name === t.name);
    if (at < 0) throw new Error(`no initializer ${t.name}`);
    g.initializer[at] = t;
    this.stale = true;
  }

  /** Puts `nodes` where `old` was. The new nodes must produce every output of `old` that is still used. */
  replaceNode(old: INodeProto, nodes: INodeProto[]): void {
    const g = this.model.graph;
    const at = g.node.indexOf(old);
    if (at < 0) throw new Error(`node ${old.name} is not in the graph`);
    g.node.splice(at, 1, ...nodes);
    this.stale = true;
  }

  /** Makes an intermediate tensor a graph output (float, shape left open) so a runtime returns it. */
  addOutput(tensor: string): void {
    const g = this.model.graph;
    if (g.output.some((o) => o.name === tensor)) return;
    g.output.push(
      onnx.ValueInfoProto.create({
        name: tensor,
        type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: DataType.FLOAT }) }),
      }),
    );
  }

  /** Re-sorts the nodes topologically, keeping the current order wherever it is valid; throws on a cycle. */
  sortTopologically(): void {
    const g = this.model.graph;
    const available = new Set([...g.initializer.map((t) => t.name ?? ''), ...g.input.map((i) => i.name ?? '')]);
    g.node = topologicalOrder(g.node, available, 'throw');
    this.stale = true;
  }

  /**
   * Removes nodes none of whose outputs are used (by a node or as a graph output), repeatedly, then
   * initializers nothing reads (also from the graph inputs, where old exporters list them) and stale value_info.
   */
  removeDead(): void {
    const g = this.model.graph;
    for (;;) {
      const used = new Set<string>(g.output.map((o) => o.name ?? ''));
      for (const n of g.node) for (const i of n.input ?? []) used.add(i);
      const keep = g.node.filter((n) => (n.output ?? []).some((o) => used.has(o)));
      if (keep.length === g.node.length) break;
      g.node = keep;
    }
    const used = new Set<string>(g.output.map((o) => o.name ?? ''));
    const produced = new Set<string>();
    for (const n of g.node) {
      for (const i of n.input ?? []) used.add(i);
      for (const o of n.output ?? []) produced.add(o);
    }
    const deadInit = new Set(g.initializer.filter((t) => !used.has(t.name ?? '')).map((t) => t.name ?? ''));
    g.initializer = g.initializer.filter((t) => !deadInit.has(t.name ?? ''));
    g.input = g.input.filter((v) => !deadInit.has(v.name ?? ''));
    g.valueInfo = g.valueInfo.filter((v) => produced.has(v.name ?? ''));
    this.stale = true;
  }

  /** Sorts, removes dead parts and returns the edited model. */
  finish(): Model {
    this.sortTopologically();
    this.removeDead();
    return this.model;
  }
}
