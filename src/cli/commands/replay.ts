/**
 * `warden replay verify | window | hour | manifest`: prove a store's state by replaying its log.
 *
 *   verify    both replays of every stream (or one book): rebuild (chain, fold, every snapshot)
 *             and re-execute (recorded inputs through the current kernel, event by event).
 *   window    re-execute the evaluation hours in [--from, --to) of one book.
 *   hour      one evaluation hour, with its inputs and outputs shown, re-executed.
 *   manifest  per hour: inputs hash, events hash, state hash, chain head; a Merkle root over the
 *             hours (--out FILE writes them all; --compare FILE names the first hour that differs).
 *
 * Exit 0 when identical; 65 with the first divergence (stream, seq, type, field path, stored vs
 * recomputed) otherwise, and the book is quarantined (audit:quarantine). 64 when the kernel cannot
 * replay the stream (e.g. a trading book without --book-config). Progress on stderr on a terminal.
 */
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { registerReplayVerify } from './replay-verify.js';
import { registerReplayWindow } from './replay-window.js';
import { registerReplayManifest } from './replay-manifest.js';

export function registerReplay(program: Command, globals: () => GlobalOptions): void {
  const replay = program.command('replay').description('rebuild and re-execute the event log, and prove the state identical');
  registerReplayVerify(replay, globals);
  registerReplayWindow(replay, globals);
  registerReplayManifest(replay, globals);
}
