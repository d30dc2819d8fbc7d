/**
 * Strict reader for the explicit profile files (config/embedded.env, .env.example copies).
 * KEY=VALUE per line, '#' comments, blank lines, optional `export `, values optionally in single
 * or double quotes. Anything else is an error naming file:line, never silently skipped (the
 * usual dotenv parsers ignore malformed lines, which hides typos).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

const LINE_RE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
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
    if (key in out) {
      problems.push(`${file}:${i + 1}: ${key} is set twice`);
      return;
    }
    out[key] = value;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`--env-file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`]);
  }
  return parseEnvFile(text, file);
}
