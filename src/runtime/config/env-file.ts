/**
 * Strict reader for the explicit profile files (config/embedded.env, .env.example copies).
 * KEY=VALUE per line, '#' comments, blank lines, optional `export `, values optionally in single
 * or double quotes. Anything else is an error naming file:line, never silently skipped (the
 * usual dotenv parsers ignore malformed lines, which hides typos). A profile is a small regular
 * file (at most PROFILE_BYTES_MAX): a directory, a FIFO or /dev/zero is refused before reading.
 * Keys live in a Map: a key named like an Object.prototype member (constructor, __proto__) is a
 * key like any other.
 */
import { readSmallFile } from '../../config/files.js';
import { ConfigError } from './errors.js';

/** Limit: a profile is a few dozen lines. */
export const PROFILE_BYTES_MAX = 64 * 1024;

const LINE_RE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE_RE.exec(line);
    if (!m) {
      problems.push(`${file}:${i + 1}: expected KEY=VALUE, got ${JSON.stringify(raw.slice(0, 80))}`);
      return;
    }
    const key = m[1]!;
    let value = m[2]!;
    const q = value[0];
    if (q === '"' || q === "'") {
      if (value.length < 2 || value[value.length - 1] !== q) {
        problems.push(`${file}:${i + 1}: ${key}: unterminated ${q === '"' ? 'double' : 'single'} quote`);
        return;
      }
      value = value.slice(1, -1);
    } else if (/\s#/.test(value)) {
      value = value.slice(0, value.search(/\s#/)).trimEnd();
    }
    if (out.has(key)) {
      problems.push(`${file}:${i + 1}: ${key} is set twice`);
      return;
    }
    if (value.includes('\0')) {
      problems.push(`${file}:${i + 1}: ${key}: the value holds a NUL character`);
      return;
    }
    out.set(key, value);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.fromEntries(out) as Record<string, string>; // fromEntries defines own properties: "__proto__" stays a key
}

/** Reads and parses the profile `file`; every problem is a ConfigError (exit 78) naming it. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readSmallFile(file, PROFILE_BYTES_MAX, `profile ${JSON.stringify(file)}`, 78);
  } catch (e) {
    throw new ConfigError([(e as Error).message]);
  }
  return parseEnvFile(text, file);
}
