import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, isAbsolute, join } from 'node:path';
import { fileError } from '../errors.ts';
import { onnx, type Model, type ModelProto } from './proto.ts';

/** ONNX magic: a ModelProto starts with field 1 (ir_version, varint) -> byte 0x08. */
const IR_VERSION_TAG = 0x08;
/** gzip magic (RFC 1952): a gzipped model (e.g. the zero-weight RetinaNet graph, 47.6 MB raw, 57 KB gzipped). */
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Reads an ONNX model, with its external-data tensors (if any) loaded into raw_data, so that every later
 * stage sees one self-contained ModelProto. Bad files raise an InputError naming the file and the problem.
 */
export function loadModel(path: string): Model {
  if (!existsSync(path)) throw fileError(path, 'no such file');
  if (statSync(path).isDirectory()) throw fileError(path, 'is a folder, not an ONNX file');
  return decodeModel(readModelBytes(path), path);
}

/** The ONNX bytes of a file, gunzipped when the file is gzip (`MODEL.onnx.gz`), so either form loads. */
export function readModelBytes(path: string): Uint8Array {
  const bytes = readFileSync(path);
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw fileError(path, `corrupt gzip file (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Decodes ONNX bytes; `label` names the source in error messages. */
export function decodeModel(bytes: Uint8Array, label: string): Model {
  if (bytes.length === 0) throw fileError(label, 'empty file, not an ONNX model');
  if (bytes[0] !== IR_VERSION_TAG) throw fileError(label, 'not an ONNX model (does not start with an ir_version field)');
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw fileError(label, `corrupt or truncated ONNX file (protobuf decode failed: ${why})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw fileError(label, 'not an ONNX model (no graph or no nodes)');
  }
  loadExternalData(model, label);
  return model as Model;
}

function loadExternalData(model: ModelProto, modelPath: string): void {
  const base = dirname(modelPath);
  const cache = new Map<string, Buffer>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    if (!location) throw fileError(modelPath, `tensor ${t.name}: external data without a location`);
    const file = isAbsolute(location) ? location : join(base, location);
    if (!cache.has(file)) {
      if (!existsSync(file)) throw fileError(modelPath, `tensor ${t.name}: external data file ${file} not found`);
      cache.set(file, readFileSync(file));
    }
    const data = cache.get(file)!;
    const offset = Number(entries.get('offset') ?? 0);
    const length = entries.has('length') ? Number(entries.get('length')) : data.length - offset;
    if (offset + length > data.length) {
      throw fileError(modelPath, `tensor ${t.name}: external data ${file} is shorter than offset ${offset} + length ${length}`);
    }
    t.rawData = new Uint8Array(data.subarray(offset, offset + length));
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
}

/** Serialises a model (weights inline). */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function saveModel(model: ModelProto, path: string): void {
  writeFileSync(path, encodeModel(model));
}

/** A deep copy of a model (through its protobuf encoding, so nothing is shared with the original). */
export function cloneModel(model: Model): Model {
  return decodeModel(encodeModel(model), 'model copy');
}
