// Worker-thread entry (plain JS so that Node can start it without a TypeScript loader): registers tsx, as
// bin/flopmap.js does, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./prepare-worker.ts');
