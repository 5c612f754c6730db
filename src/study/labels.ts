// Point labels that do not overlap: a greedy placement (the simplest of the map-labelling heuristics; Christensen,
// Marks & Shieber, "An empirical study of algorithms for point-feature label placement", ACM TOG 1995). Each
// label, in turn, takes the first of eight positions around its point that overlaps neither a placed label, a
// point marker nor an error bar and stays inside the plot; if none is free, the least-overlapping one.

/** The plot area in pixels and the (unpadded, fixed) scale domains it shows. */
export interface PlotFrame {
  width: number;
  height: number;
  x: [number, number];
  y: [number, number];
}

export interface LabelRequest {
  x: number;
  y: number;
  text: string;
  /** Error bar of the point (data units), kept clear too. */
  lo?: number | null;
  hi?: number | null;
}

/** A placed label: its text's left end on the baseline, in data units (for a text mark aligned left). */
export interface PlacedLabel {
  text: string;
  lx: number;
  ly: number;
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const FONT_PX = 10;
/** Average glyph advance at 10 px in the default sans-serif, with a little slack. */
const CHAR_PX = 5.8;
const GAP = 5;

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

export function placeLabels(requests: readonly LabelRequest[], frame: PlotFrame): PlacedLabel[] {
  const px = (x: number): number => ((x - frame.x[0]) / (frame.x[1] - frame.x[0])) * frame.width;
  const py = (y: number): number => frame.height - ((y - frame.y[0]) / (frame.y[1] - frame.y[0])) * frame.height;
  const obstacles: Box[] = [];
  for (const r of requests) {
    const cx = px(r.x);
    const cy = py(r.y);
    obstacles.push({ x0: cx - 4, y0: cy - 4, x1: cx + 4, y1: cy + 4 });
    if (r.lo != null && r.hi != null) obstacles.push({ x0: cx - 1.5, y0: py(r.hi), x1: cx + 1.5, y1: py(r.lo) });
  }
  const placed: PlacedLabel[] = [];
  const taken: Box[] = [];
  // Labels of crowded points first would be fairer; input order (FLOPs order within a line) keeps it stable.
  for (const r of requests) {
    const cx = px(r.x);
    const cy = py(r.y);
    const w = r.text.length * CHAR_PX;
    const h = FONT_PX;
    // left edge and baseline of each candidate: right, left, above, below, then the four diagonals
    const candidates: [number, number][] = [
      [cx + GAP + 2, cy + h / 2 - 1],
      [cx - GAP - 2 - w, cy + h / 2 - 1],
      [cx - w / 2, cy - GAP - 2],
      [cx - w / 2, cy + GAP + h + 2],
      [cx + GAP, cy - GAP],
      [cx + GAP, cy + GAP + h],
      [cx - GAP - w, cy - GAP],
      [cx - GAP - w, cy + GAP + h],
    ];
    let best: { box: Box; left: number; base: number; cost: number } | null = null;
    for (const [left, base] of candidates) {
      const box = { x0: left, y0: base - h, x1: left + w, y1: base + 2 };
      const outside = box.x0 < 0 || box.x1 > frame.width || box.y0 < 0 || box.y1 > frame.height ? 1e6 : 0;
      let cost = outside;
      for (const o of obstacles) cost += overlap(box, o);
      for (const t of taken) cost += overlap(box, t) * 4;
      if (!best || cost < best.cost) best = { box, left, base, cost };
      if (cost === 0) break;
    }
    taken.push(best!.box);
    placed.push({
      text: r.text,
      lx: frame.x[0] + (best!.left / frame.width) * (frame.x[1] - frame.x[0]),
      ly: frame.y[0] + ((frame.height - best!.base) / frame.height) * (frame.y[1] - frame.y[0]),
    });
  }
  return placed;
}
