// Runs prepareImage (decoding, the reference resize and the NCHW layout) off the main thread. onnxruntime-node runs a
// session synchronously on the main thread (its backend calls the binding inside setImmediate), so image i+1
// is only decoded during the inference of image i when the decoding lives in another thread.
import { parentPort } from 'node:worker_threads';
import { prepareImage } from './image.ts';
import type { PrepareRequest, PrepareReply } from './preparer.ts';

const port = parentPort;
if (!port) throw new Error('prepare-worker.ts must run in a worker thread');
port.on('message', (request: PrepareRequest) => {
  prepareImage(request.path, request.spec, request.format).then(
    (prepared) => {
      const reply: PrepareReply = { id: request.id, prepared };
      port.postMessage(reply, [prepared.tensor.buffer as ArrayBuffer]);
    },
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
