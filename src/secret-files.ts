import { readFileSync } from 'node:fs';

/** Reads a whole file as text; throws (an error with a `code` such as ENOENT) when it cannot. */
export type ReadTextFile = (path: string) => string;

export const readTextFile: ReadTextFile = (path) => readFileSync(path, 'utf8');

export interface SecretFileValues {
  /** The environment with each `X_FILE`'s content as `X`. */
  env: Record<string, string | undefined>;
  /** One per `X_FILE` that cannot be used, naming it and its path, never its content. */
  problems: string[];
  /** The variables whose file could not be used: their own rules (such as "required") would only repeat it. */
  unusable: Set<string>;
  /** `X` → `X_FILE`, for each value that came from a file. */
  readFrom: Map<string, string>;
}

/**
 * The container way of passing secrets: `X_FILE=/run/secrets/x` instead of `X` itself, for
 * each of `names`. The content, less the one trailing newline that `echo` and most editors
 * leave, then goes through X's own rules. A blank `X` or `X_FILE` counts as unset.
 */
export function readSecretFiles(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
  readFile: ReadTextFile,
): SecretFileValues {
  const result: SecretFileValues = { env: { ...env }, problems: [], unusable: new Set(), readFrom: new Map() };
  for (const name of names) {
    const fileVariable = `${name}_FILE`;
    const path = env[fileVariable]?.trim();
    if (!path) continue;
    const problem = (text: string) => {
      result.problems.push(text);
      result.unusable.add(name);
    };
    if (env[name]?.trim()) {
      problem(`${name} and ${fileVariable} are both set: set only one`);
      continue;
    }
    let content: string;
    try {
      content = readFile(path);
    } catch (error) {
      problem(`${fileVariable} cannot be read: ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      continue;
    }
    content = content.replace(/\r?\n$/, '');
    if (content.trim() === '') {
      problem(`${fileVariable} names an empty file: ${path}`);
      continue;
    }
    result.env[name] = content;
    result.readFrom.set(name, fileVariable);
  }
  return result;
}
