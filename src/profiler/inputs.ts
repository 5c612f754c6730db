// The shapes of the graph's run-time inputs: the dims the file fixes, completed by the user's --input shapes.
import { InputError } from '../errors.ts';
import { toNumber, type IValueInfoProto } from '../onnx/proto.ts';
import type { GraphIndex } from './graph.ts';

/** Declared dims of a graph input: a number where the file fixes it, the dim's name (or '?') where not. */
export function declaredDims(info: IValueInfoProto): (number | string)[] | undefined {
  const dims = info.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d) => {
    const v = toNumber(d.dimValue);
    return v > 0 ? v : d.dimParam || '?';
  });
}

export function elemType(info: IValueInfoProto | undefined): number {
  return info?.type?.tensorType?.elemType ?? 1;
}

function example(name: string, dims: (number | string)[]): string {
  return `--input ${name}=${dims.map((d) => (typeof d === 'number' ? d : `<${d}>`)).join('x')}`;
}

/** Resolves every dynamic input's shape; bad or missing shapes are an InputError saying what to pass. */
export function resolveInputShapes(index: GraphIndex, given: Record<string, number[]> = {}): Map<string, number[]> {
  const infos = new Map(index.model.graph.input.map((i) => [i.name ?? '', i]));
  for (const name of Object.keys(given)) {
    if (!index.dynamicInputs.includes(name)) {
      throw new InputError(`--input ${name}: the graph has no run-time input of that name (its inputs: ${index.dynamicInputs.join(', ')})`);
    }
  }
  const shapes = new Map<string, number[]>();
  for (const name of index.dynamicInputs) {
    const declared = declaredDims(infos.get(name)!);
    const user = given[name];
    if (user) {
      if (user.some((d) => !Number.isInteger(d) || d <= 0)) throw new InputError(`--input ${name}: dims must be positive integers, got ${user.join('x')}`);
      if (declared && declared.length !== user.length) {
        throw new InputError(`--input ${name}: the graph declares rank ${declared.length} ([${declared.join(',')}]), got ${user.join('x')}`);
      }
      declared?.forEach((d, i) => {
        if (typeof d === 'number' && d !== user[i]) {
          throw new InputError(`--input ${name}: the graph fixes dim ${i} to ${d}, got ${user[i]} (a static export: rewrite its input size first)`);
        }
      });
      shapes.set(name, [...user]);
    } else if (declared && declared.every((d): d is number => typeof d === 'number')) {
      shapes.set(name, declared);
    } else {
      const dims = declared ?? ['N', 'C', 'H', 'W'];
      throw new InputError(`input ${name} has dynamic dims [${dims.join(',')}]: pass its shape, e.g. ${example(name, dims)}`);
    }
  }
  return shapes;
}
