/**
 * The inbox payload of `warden directives propose` ({type, objective?, payload?, symbols?,
 * timebox_bars?}, the contract's directive.propose), checked before anything is recorded: a type
 * of the contract, a payload that is a JSON object the canonical encoder takes (decimals as
 * strings: a float is refused naming its path), symbols as BASE/QUOTE, bounded sizes. Bad options
 * exit 64; a payload file that cannot be read or parsed exits 65 naming file:line:column.
 */
import { readFileSync, statSync } from 'node:fs';
import { CanonicalError, canonicalJson } from '../core/canonical/index.js';
import { EXIT } from '../exit-codes.js';
import { parseJsonText } from '../config/json-text.js';
import { GovernanceError } from './errors.js';
import { OPERATOR_DIRECTIVE_TYPES, PAYLOAD_BYTES_MAX, SYMBOLS_MAX, TEXT_CHARS_MAX, TIMEBOX_BARS_MAX } from './limits.js';

export interface ProposeOptions {
  type: string;
  objective?: string;
  payload?: string;
  payloadFile?: string;
  symbols?: string;
  timeboxBars?: string;
}

const SYMBOL_RE = /^[A-Z0-9]{2,12}\/[A-Z0-9]{2,12}$/;

/** Parses a JSON object; `where` names its source (a file or --payload) in errors. */
function parsePayload(text: string, where: string, exitCode: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonText(text, where);
  } catch (e) {
    throw new GovernanceError((e as Error).message, exitCode);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new GovernanceError(`${where}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`, exitCode);
  try {
    canonicalJson(value);
  } catch (e) {
    if (e instanceof CanonicalError) throw new GovernanceError(`${where}: ${e.message} (write decimals as strings, e.g. "0.05")`, exitCode);
    throw e;
  }
  return value as Record<string, unknown>;
}

function readPayloadFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > PAYLOAD_BYTES_MAX) throw new GovernanceError(`--payload-file ${file}: ${size} bytes (max ${PAYLOAD_BYTES_MAX})`, EXIT.data);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof GovernanceError) throw e;
    throw new GovernanceError(`--payload-file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, EXIT.data);
  }
  return parsePayload(text, file, EXIT.data);
}

export function proposalPayload(o: ProposeOptions): Record<string, unknown> {
  const usage = (m: string): never => {
    throw new GovernanceError(m, EXIT.usage);
  };
  if (!(OPERATOR_DIRECTIVE_TYPES as readonly string[]).includes(o.type)) usage(`--type ${JSON.stringify(o.type)}: expected one of ${OPERATOR_DIRECTIVE_TYPES.join(', ')} (orders come from skills)`);
  if (o.payload !== undefined && o.payloadFile !== undefined) usage('--payload and --payload-file: give one of them');
  const out: Record<string, unknown> = { type: o.type };
  if (o.objective !== undefined) {
    if (o.objective.trim() === '') usage('--objective is empty');
    if (o.objective.length > TEXT_CHARS_MAX) usage(`--objective is ${o.objective.length} characters (max ${TEXT_CHARS_MAX})`);
    out.objective = o.objective;
  }
  if (o.payload !== undefined) {
    if (Buffer.byteLength(o.payload) > PAYLOAD_BYTES_MAX) usage(`--payload is ${Buffer.byteLength(o.payload)} bytes (max ${PAYLOAD_BYTES_MAX})`);
    out.payload = parsePayload(o.payload, '--payload', EXIT.usage);
  }
  if (o.payloadFile !== undefined) out.payload = readPayloadFile(o.payloadFile);
  if (o.symbols !== undefined) {
    const symbols = o.symbols.split(',').map((s) => s.trim());
    if (symbols.length > SYMBOLS_MAX) usage(`--symbols: ${symbols.length} symbols (max ${SYMBOLS_MAX})`);
    for (const s of symbols) if (!SYMBOL_RE.test(s)) usage(`--symbols: ${JSON.stringify(s)} is not a symbol like BTC/USD (BASE/QUOTE, upper case)`);
    const dup = symbols.find((s, i) => symbols.indexOf(s) !== i);
    if (dup !== undefined) usage(`--symbols: ${dup} is named twice`);
    out.symbols = symbols;
  }
  if (o.timeboxBars !== undefined) {
    const n = /^[0-9]{1,9}$/.test(o.timeboxBars) ? Number(o.timeboxBars) : NaN;
    if (!(n >= 1 && n <= TIMEBOX_BARS_MAX)) usage(`--timebox-bars ${JSON.stringify(o.timeboxBars)}: expected an integer 1..${TIMEBOX_BARS_MAX}`);
    out.timebox_bars = n;
  }
  return out;
}

/**
 * What the kernel would refuse in a proposal's payload, refused here first so nothing is recorded:
 * a policy.change whose policy is not a valid policy document (exit 65 naming the file or
 * --payload and the field).
 */
export async function checkProposal(out: Record<string, unknown>, o: ProposeOptions): Promise<void> {
  if (out.type !== 'policy.change') return;
  const { resolvePolicy } = await import('../core/governance/index.js');
  const where = o.payloadFile ?? '--payload';
  const policy = (out.payload as { policy?: unknown } | undefined)?.policy;
  if (policy === undefined) throw new GovernanceError(`${where}: a policy.change needs {"policy": {...}} (the new policy document; infra/GOVERNANCE.md)`, EXIT.data);
  try {
    resolvePolicy(policy, 'payload.policy');
  } catch (e) {
    throw new GovernanceError(`${where}: ${(e as Error).message}`, EXIT.data);
  }
}
