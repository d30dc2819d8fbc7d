/**
 * One GET to Kraken's public REST API, classified: the feeds retry every failure here with
 * backoff and log its kind, so an operator reads WHY a feed waits.
 *   http_status   an HTTP status other than 200 (429 counts as rate_limited)
 *   timeout       no complete answer within timeout_ms
 *   network       connection refused, reset, DNS...
 *   malformed     not JSON, or not {"error": [...], "result": {...}}
 *   kraken_error  a non-empty `error` array (EService:Unavailable, EGeneral:...)
 *   rate_limited  HTTP 429 or EAPI:Rate limit exceeded / EGeneral:Too many requests
 * Only public endpoints exist here (no key, no signature): Warden never trades on Kraken.
 */
import { PAYLOAD_BYTES_MAX } from '../ingest/source.js';

export type KrakenFailureKind = 'http_status' | 'timeout' | 'network' | 'malformed' | 'kraken_error' | 'rate_limited';

export class KrakenRequestError extends Error {
  override name = 'KrakenRequestError';
  constructor(readonly kind: KrakenFailureKind, message: string) {
    super(`${kind}: ${message}`);
  }
}

export interface KrakenAnswer {
  body: Buffer;
  result: Record<string, unknown>;
}

const RATE_LIMIT_RE = /^(EAPI:Rate limit exceeded|EGeneral:Too many requests)/;

/** GETs `url`; resolves with the body and its `result`, or throws KrakenRequestError. */
export async function krakenGet(url: string, timeout_ms: number, stop: AbortSignal): Promise<KrakenAnswer> {
  const signal = AbortSignal.any([stop, AbortSignal.timeout(timeout_ms)]);
  let body: Buffer;
  let status: number;
  try {
    const res = await fetch(url, { signal, headers: { accept: 'application/json', 'user-agent': 'warden-paper-feed' } });
    status = res.status;
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > PAYLOAD_BYTES_MAX) throw new KrakenRequestError('malformed', `${declared} bytes declared (max ${PAYLOAD_BYTES_MAX})`);
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof KrakenRequestError) throw e;
    if (stop.aborted) throw e;
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError' || (err.name === 'AbortError' && signal.aborted)) throw new KrakenRequestError('timeout', `no answer within ${timeout_ms} ms from ${url}`);
    throw new KrakenRequestError('network', `${err.cause?.code ?? err.message} (${url})`);
  }
  if (status === 429) throw new KrakenRequestError('rate_limited', `HTTP 429 from ${url}`);
  if (status !== 200) throw new KrakenRequestError('http_status', `HTTP ${status} from ${url}: ${body.subarray(0, 120).toString('utf8').replace(/\s+/g, ' ')}`);
  if (body.length > PAYLOAD_BYTES_MAX) throw new KrakenRequestError('malformed', `${body.length} bytes (max ${PAYLOAD_BYTES_MAX})`);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new KrakenRequestError('malformed', `not JSON (${(e as Error).message}) from ${url}`);
  }
  const d = doc as { error?: unknown; result?: unknown };
  if (!d || typeof d !== 'object' || !Array.isArray(d.error)) throw new KrakenRequestError('malformed', `no "error" array in the answer from ${url}`);
  if (d.error.length > 0) {
    const text = d.error.map(String).join('; ');
    throw new KrakenRequestError(d.error.some((x) => RATE_LIMIT_RE.test(String(x))) ? 'rate_limited' : 'kraken_error', `${text} (${url})`);
  }
  if (typeof d.result !== 'object' || d.result === null) throw new KrakenRequestError('malformed', `no "result" object in the answer from ${url}`);
  return { body, result: d.result as Record<string, unknown> };
}

/** The single pair key of a result ({XXBTZUSD: [...], last: ...}), or a malformed error. */
export function resultRows(result: Record<string, unknown>, url: string): { pair: string; rows: unknown[]; last: unknown } {
  const keys = Object.keys(result).filter((k) => k !== 'last');
  if (keys.length !== 1) throw new KrakenRequestError('malformed', `expected one pair in result, got ${JSON.stringify(keys)} (${url})`);
  const rows = result[keys[0]!];
  if (!Array.isArray(rows)) throw new KrakenRequestError('malformed', `result.${keys[0]} is not an array (${url})`);
  return { pair: keys[0]!, rows, last: result.last };
}
