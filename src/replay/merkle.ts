/**
 * A streaming Merkle tree hash (RFC 6962 section 2.1, the Certificate Transparency tree): leaves
 * are added one at a time and only O(log n) subtree roots are kept, so a manifest over millions
 * of hours needs no list of them. Two manifests with equal roots have equal leaves; with
 * different roots, comparing the leaves (hours) in order finds the first that differs.
 *
 *   leaf hash  = sha256(0x00 || leaf bytes)
 *   node hash  = sha256(0x01 || left || right)
 *   root of n leaves = node(root of the first k, root of the rest), k the largest power of two < n
 *   root of no leaves = sha256("")
 */
import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

const node = (l: Uint8Array, r: Uint8Array): Uint8Array => createHash('sha256').update(NODE).update(l).update(r).digest();

export class MerkleTree {
  /** Roots of complete subtrees, left to right, sizes strictly decreasing powers of two. */
  private readonly peaks: { size: number; hash: Uint8Array }[] = [];
  private n = 0;

  get leaves(): number {
    return this.n;
  }

  add(leaf: Uint8Array): void {
    let cur: { size: number; hash: Uint8Array } = { size: 1, hash: createHash('sha256').update(LEAF).update(leaf).digest() };
    while (this.peaks.length > 0 && this.peaks[this.peaks.length - 1]!.size === cur.size) {
      const left = this.peaks.pop()!;
      cur = { size: left.size * 2, hash: node(left.hash, cur.hash) };
    }
    this.peaks.push(cur);
    this.n++;
  }

  /** The root (hex). Folding the peaks right to left gives exactly the RFC 6962 split. */
  root(): string {
    if (this.peaks.length === 0) return createHash('sha256').digest('hex');
    let h = this.peaks[this.peaks.length - 1]!.hash;
    for (let i = this.peaks.length - 2; i >= 0; i--) h = node(this.peaks[i]!.hash, h);
    return Buffer.from(h).toString('hex');
  }
}
