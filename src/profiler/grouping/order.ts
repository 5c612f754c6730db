// The order groups are listed in: the order data flows through a detector.

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
