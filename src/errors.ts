/**
 * Bad input from the user (a file, an option, a model that does not fit): the CLI prints the message on
 * one line and exits with code 2. The message must name the file (or option) and the problem.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** An InputError whose message starts with the file it is about: `FILE: problem`. */
export function fileError(file: string, problem: string): InputError {
  return new InputError(`${file}: ${problem}`);
}
