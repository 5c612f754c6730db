// Group names (backbone/stage2, neck, head/P3/cls, post): the one home of their order (the order data flows
// through a detector), their subtotals (head = head/P3/cls + head/P3/box + ...) and their coarse form for charts.

const TOP_ORDER = ['backbone', 'neck', 'head', 'post'];

/** Flow order: backbone before neck before head before post; stem before stage1..; P3 before P4; cls before box. */
export function compareGroupNames(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const key = (seg: string, depth: number): [number, string] => {
      if (depth === 0) return [TOP_ORDER.includes(seg) ? TOP_ORDER.indexOf(seg) : 9, seg];
      if (seg === 'stem' || seg === 'cls') return [0, seg];
      if (seg === 'box') return [1, seg];
      const m = /^(?:stage|P)(\d+)$/.exec(seg);
      return [m ? Number(m[1]) + 1 : 99, seg];
    };
    const [ka, sa] = key(pa[i], i);
    const [kb, sb] = key(pb[i], i);
    return ka - kb || sa.localeCompare(sb);
  }
  return pa.length - pb.length;
}

/** MACs and FLOPs of one group; what a profile and a results.json row both carry. */
export interface GroupCosts {
  name: string;
  macs: number;
  flops: number;
}

/** Sum of the groups under a prefix: `head` adds head/P3/cls, head/P3/box, ...; `head/P3` one level. */
export function groupSum(groups: readonly GroupCosts[], prefix: string): { macs: number; flops: number } {
  let macs = 0;
  let flops = 0;
  for (const g of groups) {
    if (g.name === prefix || g.name.startsWith(`${prefix}/`)) {
      macs += g.macs;
      flops += g.flops;
    }
  }
  return { macs, flops };
}

/** Groups with their parents' subtotals (backbone, head, head/P3), in flow order. */
export function groupSubtotals(groups: readonly GroupCosts[]): { name: string; depth: number; macs: number; flops: number }[] {
  const sums = new Map<string, { macs: number; flops: number }>();
  for (const g of groups) {
    const parts = g.name.split('/');
    for (let d = 1; d <= parts.length; d++) {
      const key = parts.slice(0, d).join('/');
      const sum = sums.get(key) ?? { macs: 0, flops: 0 };
      sum.macs += g.macs;
      sum.flops += g.flops;
      sums.set(key, sum);
    }
  }
  return [...sums.keys()].sort(compareGroupNames).map((name) => ({ name, depth: name.split('/').length - 1, ...sums.get(name)! }));
}

/** Group names coarsened for the bar chart: backbone/stage2 -> backbone, head/P3/cls -> head/P3. */
export function coarseGroup(name: string): string {
  const parts = name.split('/');
  if (parts[0] === 'head' && parts[1]) return `head/${parts[1]}`;
  return parts[0] || 'other';
}
