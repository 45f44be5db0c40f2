import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * Reads `.env` from the working directory when there is one, with Node's own parser (the format of
 * `node --env-file`): each variable of the file that the environment does not already set is added, so
 * the environment wins over the file. Only the command-line entry point calls it (src/main.ts); tests
 * and `npm run schema` never read a `.env`. Answers the file it read.
 */
export function loadEnvFileIfPresent(file = resolve('.env'), env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!existsSync(file)) return undefined;
  for (const [name, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (env[name] === undefined) env[name] = value;
  }
  return file;
}
