/**
 * Option parsers shared by the commands: numbers and lists are checked as commander reads them,
 * so `--epochs -3` or `--sigma abc` fails with the option's name before anything runs. Also the
 * command line as results record it, and the examples appended to --help.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { requireWorkerCount } from 'affinity-loss-node/internal/parallel/workerCount.js';
import { redactCredentials } from '../queue/url.js';

/** A finite number. */
export function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new InvalidArgumentError(`not a number: ${JSON.stringify(value)}`);
  return number;
}

/** A finite number > 0. */
export function parsePositive(value: string): number {
  const number = parseNumber(value);
  if (number <= 0) throw new InvalidArgumentError(`must be > 0, got ${value}`);
  return number;
}

/** An integer >= 0. */
export function parseCount(value: string): number {
  const number = parseNumber(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`must be an integer >= 0, got ${value}`);
  return number;
}

/** An integer >= 1. */
export function parsePositiveInteger(value: string): number {
  const number = parseNumber(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`must be an integer >= 1, got ${value}`);
  return number;
}

/** A worker count: an integer from 1 to the machine's cores (more would only share them). */
export function parseWorkerCount(value: string): number {
  try {
    return requireWorkerCount(parsePositiveInteger(value));
  } catch (error) {
    if (error instanceof AffinityConfigError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** A comma-separated list of non-empty names (`softmax,affinity`). */
export function parseList(value: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw new InvalidArgumentError(`empty name in list ${JSON.stringify(value)}`);
  return items;
}

/** A flag of an earlier version, hidden from --help: giving it fails, naming the flag that replaced it. */
export function renamedOption(old: string, now: string): Option {
  return new Option(`${old} <value>`).hideHelp().argParser(() => {
    throw new InvalidArgumentError(`${old} is now ${now}`);
  });
}

/** Appends worked examples to a command's --help. */
export function withExamples(command: Command, examples: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}`);
}

/**
 * This process's command line as `affinity <args>`, each argument quoted as a POSIX shell needs
 * (`--settings 'rho=100 mnist'`), so the line recorded in results runs again when pasted. A URL's
 * password (`--queue redis://:secret@host`) is replaced by `***`: the line goes into result files
 * and reports, which are shared.
 */
export function commandLine(args: readonly string[] = process.argv.slice(2)): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);
  return ['affinity', ...args.map((arg) => quote(redactCredentials(arg)))].join(' ');
}
