/**
 * The book's input limits, alone in a module without imports so the CLI can name them in its
 * help text without loading the kernel (`warden --help` stays instant). Re-exported by
 * state.ts and decider.ts, where they are enforced.
 */

/** A book id: lower-case letters, digits, _ . - (1-64 characters). */
export const BOOK_ID_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** An operator command's reason, in characters. */
export const REASON_CHARS_MAX = 500;
