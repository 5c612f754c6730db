// id -> position lookups for image and category ids: a typed table when the ids are small non-negative
// integers (COCO's are: val2017 image ids stay under 600,000), a Map otherwise.

/** Position of an id in `ids`, or -1. */
export type IdLookup = (id: number) => number;

const MAX_TABLE = 1 << 24;

export function idLookup(ids: readonly number[]): IdLookup {
  let max = -1;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_TABLE) return mapLookup(ids);
    if (id > max) max = id;
  }
  const table = new Int32Array(max + 1).fill(-1);
  ids.forEach((id, i) => (table[id] = i));
  return (id) => {
    if (id >= 0 && id <= max && Number.isInteger(id)) return table[id];
    return -1;
  };
}

function mapLookup(ids: readonly number[]): IdLookup {
  const map = new Map<number, number>();
  ids.forEach((id, i) => map.set(id, i));
  return (id) => map.get(id) ?? -1;
}
