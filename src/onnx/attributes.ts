import { AttributeType, toNumber, type INodeProto, type ITensorProto } from './proto.ts';

function find(node: INodeProto, name: string) {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function hasAttr(node: INodeProto, name: string): boolean {
  return find(node, name) !== undefined;
}

export function attrInt(node: INodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a ? toNumber(a.i) : fallback;
}

export function attrInts(node: INodeProto, name: string, fallback: number[]): number[] {
  const a = find(node, name);
  return a ? (a.ints ?? []).map((v) => toNumber(v)) : fallback;
}

export function attrFloat(node: INodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a ? (a.f ?? fallback) : fallback;
}

export function attrFloats(node: INodeProto, name: string, fallback: number[]): number[] {
  const a = find(node, name);
  return a ? [...(a.floats ?? [])] : fallback;
}

export function attrString(node: INodeProto, name: string, fallback: string): string {
  const a = find(node, name);
  return a && a.s ? new TextDecoder().decode(a.s) : fallback;
}

export function attrTensor(node: INodeProto, name: string): ITensorProto | undefined {
  const a = find(node, name);
  return a && a.type === AttributeType.TENSOR ? (a.t ?? undefined) : undefined;
}
