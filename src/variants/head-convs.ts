// Finds the convolutions of a detection head, per pyramid level and subnet, from the profiler's node groups
// (`head/P3/cls`, `head/P3/box`, or `head/P3` for a head with one subnet). Within a level and subnet the
// convs are in graph order; a conv whose output reaches no other conv is a predictor (cls_logits, bbox_pred,
// NanoDet's gfl_cls, YOLOX's cls/reg/obj preds), the others are tower convs.
import type { INodeProto } from '../onnx/proto.ts';
import type { GraphEditor } from '../onnx/graph-edit.ts';

export const SUBNETS = ['cls', 'box'] as const;
export type Subnet = (typeof SUBNETS)[number];
/** `shared`: a head with a single subnet, or a conv both subnets read (YOLOX's stem). */
export type ConvSubnet = Subnet | 'shared';

export interface HeadConv {
  node: INodeProto;
  level: string;
  subnet: ConvSubnet;
  role: 'tower' | 'predictor';
  /** Position among the tower convs (or the predictors) of its level and subnet, in graph order. */
  index: number;
}

const HEAD_GROUP = /^head\/(P\d+)(?:\/(cls|box))?$/;

/** `head/P3/cls` -> { level: 'P3', subnet: 'cls' }; `head/P3` -> shared; anything else -> undefined. */
export function parseHeadGroup(group: string): { level: string; subnet: ConvSubnet } | undefined {
  const m = HEAD_GROUP.exec(group);
  if (!m) return undefined;
  return { level: m[1]!, subnet: (m[2] as Subnet | undefined) ?? 'shared' };
}

/** Every Conv of the head, in graph order. `groupOf` gives a node's profiler group. */
export function findHeadConvs(editor: GraphEditor, groupOf: (node: INodeProto) => string | undefined): HeadConv[] {
  const found: HeadConv[] = [];
  const counters = new Map<string, number>();
  for (const node of editor.model.graph.node) {
    if (node.opType !== 'Conv') continue;
    const group = groupOf(node);
    const place = group ? parseHeadGroup(group) : undefined;
    if (!place) continue;
    const role = feedsAnotherConv(editor, node) ? 'tower' : 'predictor';
    const key = `${place.level}/${place.subnet}/${role}`;
    const index = counters.get(key) ?? 0;
    counters.set(key, index + 1);
    found.push({ node, level: place.level, subnet: place.subnet, role, index });
  }
  return found;
}

/** Whether the conv's output reaches another Conv through non-Conv nodes. */
function feedsAnotherConv(editor: GraphEditor, conv: INodeProto): boolean {
  const seen = new Set<INodeProto>();
  const todo = [...(conv.output ?? [])];
  while (todo.length > 0) {
    const tensor = todo.pop()!;
    for (const next of editor.consumersOf(tensor)) {
      if (seen.has(next)) continue;
      seen.add(next);
      if (next.opType === 'Conv') return true;
      todo.push(...(next.output ?? []));
    }
  }
  return false;
}

/** The levels that have head convs, in P order. */
export function headLevels(convs: readonly HeadConv[]): string[] {
  return [...new Set(convs.map((c) => c.level))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

export interface ConvSelection {
  levels: readonly string[];
  /** Subnets whose convs are replaced; default both. A shared conv goes with the pair (or a one-subnet head). */
  subnets?: readonly Subnet[];
  /** Predictors replaced too, by subnet; default ['cls'] (the released LW-RetinaNet keeps a 3x3 box predictor).
   *  A one-subnet head's predictor (class scores and boxes together) counts as cls. */
  predictors?: readonly Subnet[];
  /** Tower convs replaced, by index within their subnet; default all. */
  towers?: readonly number[];
}

export function selectConvs(convs: readonly HeadConv[], selection: ConvSelection): HeadConv[] {
  const subnets = selection.subnets ?? ['cls', 'box'];
  const predictors = selection.predictors ?? ['cls'];
  return convs.filter((c) => {
    if (!selection.levels.includes(c.level)) return false;
    const levelSplit = convs.some((o) => o.level === c.level && o.subnet !== 'shared');
    const subnetOk =
      c.subnet === 'shared' ? !levelSplit || (subnets.includes('cls') && subnets.includes('box')) : subnets.includes(c.subnet);
    if (!subnetOk) return false;
    if (c.role === 'predictor') return predictors.includes(c.subnet === 'shared' ? 'cls' : c.subnet);
    return selection.towers === undefined || selection.towers.includes(c.index);
  });
}
