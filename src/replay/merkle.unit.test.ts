/**
 * The streaming Merkle root equals RFC 6962's recursive definition for every size up to 70
 * (written out here independently), and changes when any one leaf changes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { MerkleTree } from './merkle.js';

const h = (...parts: Uint8Array[]) => { const x = createHash('sha256'); for (const p of parts) x.update(p); return x.digest(); };

/** RFC 6962 2.1: MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0); MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of 2 < n. */
function mth(d: Uint8Array[]): Buffer {
  if (d.length === 0) return h();
  if (d.length === 1) return h(Buffer.from([0]), d[0]!);
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return h(Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k)));
}

test('streaming root = RFC 6962 MTH for 0..70 leaves; one changed leaf changes the root', () => {
  const leaves = Array.from({ length: 70 }, (_, i) => new TextEncoder().encode(`hour ${i}`));
  for (let n = 0; n <= 70; n++) {
    const t = new MerkleTree();
    for (const l of leaves.slice(0, n)) t.add(l);
    assert.equal(t.leaves, n);
    assert.equal(t.root(), mth(leaves.slice(0, n)).toString('hex'), `n = ${n}`);
  }
  const base = new MerkleTree();
  for (const l of leaves) base.add(l);
  for (const i of [0, 31, 32, 69]) {
    const t = new MerkleTree();
    leaves.forEach((l, j) => t.add(j === i ? new TextEncoder().encode('changed') : l));
    assert.notEqual(t.root(), base.root(), `leaf ${i}`);
  }
});
