/**
 * JSON schemas of the API's parameters (every route has one; unknown query parameters are refused,
 * not ignored) and the loose shape of its answers.
 */
import { CANDLES_MAX, MARK_POINTS_MAX, PAGE_LIMIT_MAX } from './limits.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => ({ type: 'integer', minimum: min, maximum: max });

export const streamParams = {
  type: 'object', required: ['stream'], additionalProperties: false,
  properties: { stream: { type: 'string', pattern: '^(book|backtest):[a-z0-9:_.-]{1,140}$' } },
} as const;

export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const pageQuery = {
  type: 'object', additionalProperties: false,
  properties: { after_seq: int(0), limit: int(1, PAGE_LIMIT_MAX) },
} as const;

export const eventsQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    after_seq: int(0), to_seq: int(1), limit: int(1, PAGE_LIMIT_MAX),
    type: { type: 'string', pattern: '^[a-z][a-z0-9_.]{0,63}(,[a-z][a-z0-9_.]{0,63}){0,15}$' },
    hashes: { type: 'boolean' },
  },
} as const;

export const marksQuery = {
  type: 'object', additionalProperties: false,
  properties: { from_ms: int(0), to_ms: int(0), points: int(2, MARK_POINTS_MAX) },
} as const;

export const candlesQuery = {
  type: 'object', required: ['symbol'], additionalProperties: false,
  properties: { symbol: { type: 'string', pattern: '^[A-Z0-9]{1,12}/[A-Z0-9]{1,12}$' }, from_ms: int(0), to_ms: int(0), limit: int(1, CANDLES_MAX) },
} as const;

export const directivesQuery = {
  type: 'object', additionalProperties: false,
  properties: { status: { type: 'string', enum: ['draft', 'proposed', 'approved', 'executing', 'complete', 'blocked', 'aborted'] }, limit: int(1, PAGE_LIMIT_MAX) },
} as const;

export const liveQuery = {
  type: 'object', additionalProperties: false,
  properties: { stream: streamParams.properties.stream },
} as const;

/** Any JSON object (answers are documented in the README; the schema says it is an object). */
export const objectReply = { 200: { type: 'object', additionalProperties: true } } as const;

export const pageReply = {
  200: {
    type: 'object', required: ['items', 'next_after_seq'], additionalProperties: true,
    properties: { items: { type: 'array' }, next_after_seq: { type: ['integer', 'null'] } },
  },
} as const;

export const TICKS_DESCRIPTION =
  'Ticks that did not end OK, newest seq last: each tick.completed event of the book (status DEGRADED or HALTED, and every harness task with its outcome and reason). ' +
  'A tick that ran OK records no tick.completed event, so it is never listed here (ticks_total{status="OK"} on /metrics counts them). ' +
  'Filter by status and event time (from_ms, to_ms inclusive); page with after_seq = next_after_seq.';

export const ticksQuery = {
  type: 'object', additionalProperties: false, description: TICKS_DESCRIPTION,
  properties: {
    status: { type: 'string', enum: ['DEGRADED', 'HALTED'], description: 'only ticks of this status (an OK tick has no event)' },
    from_ms: int(0), to_ms: int(0), after_seq: int(0), limit: int(1, PAGE_LIMIT_MAX),
  },
} as const;

export const ticksReply = {
  200: {
    type: 'object', required: ['items', 'next_after_seq'], additionalProperties: true, description: TICKS_DESCRIPTION,
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object', required: ['seq', 'time_ms', 'status', 'tasks'], additionalProperties: false,
          properties: {
            seq: { type: 'integer' }, time_ms: { type: 'integer' }, status: { type: 'string', enum: ['DEGRADED', 'HALTED'] },
            tasks: {
              type: 'array',
              items: { type: 'object', required: ['task', 'outcome', 'reason'], additionalProperties: false, properties: { task: { type: 'string' }, outcome: { type: 'string' }, reason: { type: 'string' } } },
            },
          },
        },
      },
      next_after_seq: { type: ['integer', 'null'] },
    },
  },
} as const;

export const suggestionsQuery = {
  type: 'object', additionalProperties: false,
  description: 'What the monitors suggested (audit:suggestions, read with listSuggestions): each suggestion.raised, oldest first, with the suggestion.cleared that closed it (null while open). Monitors never act.',
  properties: {
    book: { type: 'string', pattern: '^(book:)?[a-z0-9][a-z0-9_.-]{0,63}$', description: 'only suggestions about this book (id, or its book: stream)' },
    since_ms: { ...int(0), description: 'only suggestions observed at or after this wall-clock time' },
    open: { type: 'boolean', description: 'only suggestions still open' },
    after_seq: int(0), limit: int(1, PAGE_LIMIT_MAX),
  },
} as const;
