// BullMQ loads a sandboxed processor with import() in a fresh worker thread: plain JS, so that it starts
// without a TypeScript loader; it registers tsx (as bin/flopmap.js does) and hands over the TypeScript one.
import { register } from 'tsx/esm/api';

register();
const { default: processUnit } = await import('./unit-processor.ts');
export default processUnit;
