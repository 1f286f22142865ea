// Option parsing for the bench scripts: `--help` prints the script's header comment (its usage),
// and a bad option prints one line instead of a stack trace.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The leading `//` comment block of a script, without the shebang, as plain text. */
export function usageOf(scriptUrl) {
  const lines = readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n');
  const out = [];
  for (const line of lines) {
    if (line.startsWith('#!')) continue;
    if (!line.startsWith('//')) break;
    out.push(line.replace(/^\/\/ ?/, ''));
  }
  return out.join('\n');
}

/**
 * `parseArgs` with `--help`/`-h` and friendly errors. Exits 0 after printing the usage on `--help`,
 * and 2 with one line naming the problem on an unknown or malformed option.
 */
export function parseBenchArgs(scriptUrl, options, extra = {}) {
  let parsed;
  try {
    parsed = parseArgs({ ...extra, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    console.error(`${err.message.split('\n')[0]} (see --help)`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(usageOf(scriptUrl));
    process.exit(0);
  }
  return parsed;
}
