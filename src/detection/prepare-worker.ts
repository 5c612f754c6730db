// Runs the image preparation (decoding, the reference resize and the NCHW layout) off the main thread.
// onnxruntime-node runs a session synchronously on the main thread (its backend calls the binding inside
// setImmediate), so image i+1 is only decoded during the inference of image i when the decoding lives in
// another thread. The decoded pixels stay here, in a bounded cache (decoded-cache.ts), where the resize runs:
// a sweep decodes each image once and only resizes it per point.
import { parentPort, workerData } from 'node:worker_threads';
import { DecodedImageCache } from './decoded-cache.ts';
import { referenceDecoding, referenceInputOf } from './reference-input.ts';
import type { PrepareRequest, PrepareReply, PreparerOptions } from './preparer.ts';

const port = parentPort;
if (!port) throw new Error('prepare-worker.ts must run in a worker thread');
const cache = new DecodedImageCache((workerData as PreparerOptions | undefined)?.cacheBytes ?? 0);

async function prepare(request: PrepareRequest): Promise<PrepareReply> {
  const t0 = performance.now();
  const image = await cache.get(request.path, referenceDecoding(request.spec));
  const t1 = performance.now();
  const prepared = referenceInputOf(image, request.spec, request.format);
  const t2 = performance.now();
  return { id: request.id, prepared, timing: { decodeMs: t1 - t0, resizeMs: t2 - t1 }, cache: cache.stats() };
}

port.on('message', (request: PrepareRequest) => {
  prepare(request).then(
    (reply) => port.postMessage(reply, [reply.prepared!.tensor.buffer as ArrayBuffer]),
    (err: unknown) => {
      const reply: PrepareReply = {
        id: request.id,
        error: { message: err instanceof Error ? err.message : String(err), inputError: err instanceof Error && err.name === 'InputError' },
      };
      port.postMessage(reply);
    },
  );
});
// Loaded (tsx, sharp): the caller may start its clock.
port.postMessage({ ready: true });
