/**
 * The V8 flags a Warden process starts with, in ONE list: the shebang of ./index.ts (so `npx warden`,
 * an installed `warden` and `./dist/src/cli/index.js` run with them), package.json's start, start:paper
 * and serve scripts, the image's CMD (equal to start:paper) and the benches that time the kernel
 * (they run as warden runs). test/node-flags.unit.test.ts keeps every one of them equal to this list.
 *
 * Why a 64 MB semi-space (node 20's default on 64-bit: 16 MB): the kernel allocates ~6 KB per bar
 * (events, their canonical JSON, exact decimals) that dies within the tick; a young generation four
 * times larger scavenges four times less often while what survives a scavenge stays the same
 * (measured: the reference backtest's kernel ~13 % faster in wall time, a 7M-bar backtest ~20 % less
 * CPU, for ~60 MB more peak RSS). The flag changes when garbage is collected, never what is computed.
 * `node dist/src/cli/index.js` starts with node's defaults unless the flag is given (or set in
 * NODE_OPTIONS, which accepts it).
 */
export const WARDEN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
