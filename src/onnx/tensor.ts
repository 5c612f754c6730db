import { DataType, onnx, toNumber, type ITensorProto, type TensorProto } from './proto.ts';

export function tensorDims(t: ITensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d));
}

/** Number of elements of a shape (1 for a scalar); the one definition every stage uses. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Bytes per element of an ONNX data type (0 for strings). */
export function bytesPerElement(dataType: number): number {
  switch (dataType) {
    case DataType.DOUBLE: case DataType.INT64: case DataType.UINT64: case DataType.COMPLEX64: return 8;
    case DataType.FLOAT: case DataType.INT32: case DataType.UINT32: return 4;
    case DataType.FLOAT16: case DataType.BFLOAT16: case DataType.INT16: case DataType.UINT16: return 2;
    case DataType.INT8: case DataType.UINT8: case DataType.BOOL: return 1;
    case DataType.COMPLEX128: return 16;
    default: return 0;
  }
}

function rawView(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/**
 * The tensor's values as plain numbers (int64 converted with Number(); fine for shapes and indices).
 * Throws for types that have no numeric reading.
 */
export function tensorToNumbers(t: ITensorProto): number[] {
  const n = elementCount(tensorDims(t));
  const dt = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (raw) {
    const dv = rawView(raw);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      switch (dt) {
        case DataType.FLOAT: out[i] = dv.getFloat32(i * 4, true); break;
        case DataType.DOUBLE: out[i] = dv.getFloat64(i * 8, true); break;
        case DataType.INT64: out[i] = Number(dv.getBigInt64(i * 8, true)); break;
        case DataType.UINT64: out[i] = Number(dv.getBigUint64(i * 8, true)); break;
        case DataType.INT32: out[i] = dv.getInt32(i * 4, true); break;
        case DataType.UINT32: out[i] = dv.getUint32(i * 4, true); break;
        case DataType.INT16: out[i] = dv.getInt16(i * 2, true); break;
        case DataType.UINT16: out[i] = dv.getUint16(i * 2, true); break;
        case DataType.INT8: out[i] = dv.getInt8(i); break;
        case DataType.UINT8: case DataType.BOOL: out[i] = dv.getUint8(i); break;
        case DataType.FLOAT16: out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
        default: throw new Error(`tensor ${t.name ?? ''}: data type ${dt} has no numeric reading`);
      }
    }
    return out;
  }
  switch (dt) {
    case DataType.FLOAT: case DataType.COMPLEX64: return [...(t.floatData ?? [])];
    case DataType.DOUBLE: case DataType.COMPLEX128: return [...(t.doubleData ?? [])];
    case DataType.INT64: return (t.int64Data ?? []).map((v) => toNumber(v));
    case DataType.UINT64: case DataType.UINT32: return (t.uint64Data ?? []).map((v) => toNumber(v));
    case DataType.FLOAT16: return (t.int32Data ?? []).map(halfToFloat);
    default: return [...(t.int32Data ?? [])];
  }
}

/** A float tensor's values as Float32Array (weights). */
export function tensorToFloat32(t: ITensorProto): Float32Array {
  if (t.dataType === DataType.FLOAT && t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    // Copy: raw may be unaligned inside the file buffer.
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(tensorToNumbers(t));
}

/** A FLOAT initializer with raw little-endian data. */
export function float32Tensor(name: string, dims: readonly number[], values: Float32Array): TensorProto {
  if (values.length !== elementCount(dims)) {
    throw new Error(`tensor ${name}: ${values.length} values for dims [${dims.join(',')}]`);
  }
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: new Uint8Array(bytes) });
}

/** An INT64 initializer (shapes, axes). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const dv = new DataView(raw.buffer);
  values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.INT64, rawData: raw });
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
