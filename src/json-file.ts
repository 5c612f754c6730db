// Reads a JSON file for any stage, turning a missing file or malformed JSON into an InputError that names
// the file (exit 2 at the CLI).
import { readFileSync } from 'node:fs';
import { fileError } from './errors.ts';

/** `what` names the kind of file in the message for a missing one, e.g. "study file". */
export function readJsonFile(path: string, what = 'file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fileError(path, `no such ${what}`);
    throw fileError(path, `cannot read the ${what} (${code ?? String(err)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw fileError(path, `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
