/**
 * zod, as every module of Warden imports it: through this one module, so that the build can
 * load it as ONE file. `npm run build` replaces this module's output (dist/src/core/zod.js) with
 * zod's own code bundled into a single ES module (scripts/bundle-zod.mjs): unchanged code, one
 * file to resolve, read and compile instead of ~95 (zod 4's classic API and its core), which
 * measured ~40 % of zod's import time, the largest part of a `warden backtest` start. Types come
 * from the zod package as usual; tests and the CLI run the bundled file.
 */
export { z } from 'zod';
