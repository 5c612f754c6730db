// NumPy .npy files (format 1.0/2.0, numpy/lib/format.py): float32 arrays in C order, read (plain or
// gzipped .npy.gz) and written, so network inputs can be compared with a Python pipeline's.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileError } from '../errors.ts';

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = '\x93NUMPY';

/** Parses .npy bytes holding a little-endian float32 (or float64, converted) C-order array. */
export function parseNpy(bytes: Uint8Array, label: string): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== MAGIC) throw fileError(label, 'not a .npy file (no \\x93NUMPY magic)');
  const major = buf[6];
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw fileError(label, `unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw fileError(label, 'Fortran-order .npy arrays are not supported (C order expected)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = start + headerLength;
  const width = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (width === 0) throw fileError(label, `.npy dtype ${descr} is not supported (float32 <f4 or float64 <f8 expected)`);
  if (buf.length < body + count * width) throw fileError(label, `.npy data is truncated (${count} values of shape [${shape.join(',')}] expected)`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = width === 4 ? buf.readFloatLE(body + 4 * i) : buf.readDoubleLE(body + 8 * i);
  return { shape, data };
}

/** Reads FILE.npy or FILE.npy.gz. */
export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw fileError(path, 'cannot read the .npy file');
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw fileError(path, 'not a gzip file');
    }
  }
  return parseNpy(bytes, path);
}

/** A float32 C-order .npy (format 1.0) of `data` with `shape`. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // The header (with magic, version and length) is padded with spaces to a multiple of 64, ending in '\n'.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = Buffer.alloc(total + 4 * data.length);
  out.write(MAGIC, 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, total);
  return out;
}

export function writeNpy(path: string, data: Float32Array, shape: readonly number[]): void {
  try {
    writeFileSync(path, encodeNpy(data, shape));
  } catch (err) {
    throw fileError(path, `cannot write (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}
