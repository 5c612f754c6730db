// Puts every node in a group: head and post from the predictors, backbone stages and neck from the
// deepest upsampled feature map, shape arithmetic and weight copies with the node they serve, then the
// user's `--groups` rules on top.
import { InputError } from '../../errors.ts';
import type { GraphIndex } from '../graph.ts';
import type { TensorInfo } from '../ops/rule.ts';
import type { GroupRule } from '../types.ts';
import { ancestorsOf, findDeepestFeature, stageNames } from './backbone.ts';
import { findHead } from './head.ts';
import { buildStructure } from './structure.ts';

export function assignGroups(index: GraphIndex, tensors: Map<string, TensorInfo>, rules: GroupRule[] = []) {
  const warnings: string[] = [];
  const s = buildStructure(index, tensors);
  const n = index.nodes.length;
  const groups = new Array<string | undefined>(n).fill(undefined);

  const head = findHead(s);
  if (head.predictors.length === 0) warnings.push('grouping: no predictor convs found; no head or post groups');
  head.post.forEach((i) => (groups[i] = 'post'));
  head.groups.forEach((g, i) => (groups[i] = g));

  const rest = new Set(index.nodes.flatMap((_, i) => (s.isData[i] && groups[i] === undefined ? [i] : [])));
  const c5 = findDeepestFeature(s, rest);
  const backbone = c5 !== undefined ? ancestorsOf(s, c5, rest) : rest;
  if (c5 === undefined) warnings.push('grouping: no upsampling top-down path found; no neck group');
  stageNames(s, backbone, c5 ?? '').forEach((g, i) => (groups[i] = g));
  rest.forEach((i) => groups[i] === undefined && (groups[i] = 'neck'));
  // Nodes a variant wrote in place of a conv go to that conv's group (recorded by the surgery).
  s.replaced.forEach((r, i) => (groups[i] = r.group));

  // Shape arithmetic, constants and weight copies go with the first node that reads them.
  for (let i = n - 1; i >= 0; i--) {
    if (groups[i] !== undefined) continue;
    const readers = (index.nodes[i].output ?? []).flatMap((t) => index.consumers.get(t) ?? []).sort((a, b) => a - b);
    const served = readers.map((j) => groups[j]).find((g) => g !== undefined);
    if (served) groups[i] = served;
    else if ((index.nodes[i].output ?? []).some((t) => index.graphOutputs.has(t))) groups[i] = 'post';
  }
  for (let i = 0; i < n; i++) {
    if (groups[i] !== undefined) continue;
    const fed = (index.nodes[i].input ?? []).map((t) => index.producer.get(t)).find((p) => p !== undefined && groups[p] !== undefined);
    groups[i] = fed !== undefined ? groups[fed]! : 'backbone/stem';
  }

  warnings.push(...applyRules(index, groups as string[], rules));
  return { groups: groups as string[], warnings };
}

/** Applies the rules in place (first match wins); returns a warning for each rule that matched nothing. */
function applyRules(index: GraphIndex, groups: string[], rules: GroupRule[]): string[] {
  if (rules.length === 0) return [];
  const compiled = rules.map((r) => {
    try {
      return { re: new RegExp(r.pattern), group: r.group };
    } catch (err) {
      throw new InputError(`--groups: pattern ${JSON.stringify(r.pattern)} is not a valid regular expression (${(err as Error).message})`);
    }
  });
  const used = new Set<number>();
  index.nodes.forEach((node, i) => {
    const name = node.name || (node.output ?? [])[0] || '';
    const hit = compiled.findIndex((r) => r.re.test(name));
    if (hit < 0) return;
    groups[i] = compiled[hit].group;
    used.add(hit);
  });
  return rules.flatMap((r, k) => (used.has(k) ? [] : [`--groups: pattern ${JSON.stringify(r.pattern)} matched no node name`]));
}
