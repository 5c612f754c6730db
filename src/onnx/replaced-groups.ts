// Graph surgery keeps the profiler's groups: a variant records, in the model's metadata_props, for every node
// it wrote, the conv it replaced and that conv's group. The profiler's structural grouping cannot always tell
// where a new block belongs (a low-rank factor of a P3 stem looks like neck to it), so it takes the recorded
// group for those nodes and counts a block's chain as the one conv it replaced when it measures towers.
// ONNX metadata_props is the spec's place for such key/values.
import { InputError } from '../errors.ts';
import { onnx, type Model } from './proto.ts';

export const REPLACED_CONVS_KEY = 'flopmap.replaced_convs';

export interface ReplacedConv {
  /** Profiler group of the replaced conv (head/P3/cls, neck, ...). */
  group: string;
  /** Name of the replaced conv. */
  replaces: string;
}

function isReplacedConv(v: unknown): v is ReplacedConv {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.group === 'string' && typeof r.replaces === 'string';
}

/** New node name -> the conv it replaced and its group; empty for a model no surgery wrote. */
export function readReplacedGroups(model: Model): Map<string, ReplacedConv> {
  const entry = (model.metadataProps ?? []).find((p) => p.key === REPLACED_CONVS_KEY);
  if (!entry?.value) return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.value);
  } catch {
    throw new InputError(`metadata ${REPLACED_CONVS_KEY}: not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every(isReplacedConv)) {
    throw new InputError(`metadata ${REPLACED_CONVS_KEY}: expected an object of node name -> {group, replaces}`);
  }
  return new Map(Object.entries(parsed as Record<string, ReplacedConv>));
}

/** Adds entries to the model's record (in place), keeping those of earlier surgeries. */
export function recordReplacedGroups(model: Model, groups: ReadonlyMap<string, ReplacedConv>): void {
  if (groups.size === 0) return;
  const merged = new Map([...readReplacedGroups(model), ...groups]);
  const value = JSON.stringify(Object.fromEntries([...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  const props = (model.metadataProps ?? []).filter((p) => p.key !== REPLACED_CONVS_KEY);
  model.metadataProps = [...props, onnx.StringStringEntryProto.create({ key: REPLACED_CONVS_KEY, value })];
}
