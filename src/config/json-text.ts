/**
 * JSON text a user wrote or gave (a book config, a feeds file, --pairs, --compare, a directive's
 * payload, a Kraken REST payload): parsed with JSON.parse, and when it is not valid JSON the error
 * names WHERE, as `source:line:column` (1-based; the column counts UTF-16 code units, as editors
 * mostly do). Node 20's JSON.parse says "at position N" for some syntax errors only: an unexpected
 * token ('{a: 1}', single quotes, a comment, `True`) or a leading byte-order mark comes without a
 * position, so the offset is then found by jsonErrorOffset, a small iterative scanner of the JSON
 * grammar (RFC 8259; no recursion, so a 100k-deep document cannot overflow the stack). Why not a
 * library: jsonc-parser 3.3 (strict options) puts some errors elsewhere than JSON.parse does (the
 * unit test's cases) and overflows the stack on a 100k-deep array; json-parse-even-better-errors
 * reads the position out of V8's message, which is what Node 20 leaves out.
 *
 * A UTF-8 byte-order mark at the start (Windows editors write one) is skipped, as RFC 8259 section
 * 8.1 allows a parser to: the text is the same document with or without it.
 */

const BOM = '\ufeff';

/** The 1-based line and column of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

const HEX = /^[0-9a-fA-F]$/;

/**
 * The offset of the first character at which `text` stops being valid JSON (text.length when it
 * ends too early), or null when it is valid JSON.
 */
export function jsonErrorOffset(text: string): number | null {
  const n = text.length;
  let i = 0;
  const containers: boolean[] = []; // true: an object, false: an array
  const ws = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
    }
  };
  /** At a '"': moves past the string; false at the offending character. */
  const string = (): boolean => {
    for (i++; i < n;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = text[++i]; // an error is at the escaped character, as JSON.parse says
      if (e === 'u') {
        for (const end = i + 5; ++i < end;) if (!HEX.test(text[i] ?? '')) return false;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 1;
      else return false;
    }
    return false;
  };
  const digits = (): boolean => {
    const start = i;
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    return i > start;
  };
  /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; false at the offending character. */
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return false;
    }
    return true;
  };
  /** In an object, after '{' or ',': a key string and its ':'. */
  const key = (): boolean => {
    ws();
    if (text[i] !== '"' || !string()) return false;
    ws();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  for (;;) {
    // A value is expected at i.
    ws();
    const c = text[i];
    let closed = true;
    if (c === '{' || c === '[') {
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) i++;
      else {
        containers.push(c === '{');
        if (c === '{' && !key()) return i;
        closed = false;
      }
    } else if (c === '"') {
      if (!string()) return i;
    } else if (c === 't' || c === 'f' || c === 'n') {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      if (text.startsWith(word, i)) i += word.length;
      else return i;
    } else if (!number()) return i;
    if (!closed) continue;
    // After a value: a ',' (the next value or key), or the end of its container(s).
    for (;;) {
      ws();
      if (containers.length === 0) return i < n ? i : null;
      const object = containers[containers.length - 1]!;
      if (text[i] === ',') {
        i++;
        if (object && !key()) return i;
        break;
      }
      if (text[i] !== (object ? '}' : ']')) return i;
      i++;
      containers.pop();
    }
  }
}

export class JsonTextError extends Error {
  override readonly name = 'JsonTextError';
  constructor(message: string, readonly line: number | null, readonly column: number | null) {
    super(message);
  }
}

/**
 * JSON.parse(text), a leading byte-order mark skipped. Not JSON: JsonTextError
 * `${where}:${line}:${column}: not valid JSON (${reason})`, e.g. "book.json:12:5: not valid JSON
 * (Expected double-quoted property name in JSON at position 301)".
 */
export function parseJsonText(text: string, where: string): unknown {
  const body = text.startsWith(BOM) ? text.slice(BOM.length) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    // "Unexpected token 'x', "<a snippet of the text, newlines and all>" is not valid JSON": the token is enough
    const reason = (e as Error).message.replace(/^(Unexpected token '[^]*?'), [^]* is not valid JSON$/, '$1');
    const m = /at position (\d+)/.exec(reason);
    const offset = m !== null ? Number(m[1]) : jsonErrorOffset(body);
    if (offset === null) throw new JsonTextError(`${where}: not valid JSON (${reason})`, null, null);
    // an editor shows no mark: columns count from the first character after it
    const { line, column } = lineColumn(body, offset);
    throw new JsonTextError(`${where}:${line}:${column}: not valid JSON (${reason})`, line, column);
  }
}
