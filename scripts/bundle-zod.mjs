// Writes dist/src/core/zod.js: the zod package bundled into one ES module (same code, one file to
// load instead of ~95; see src/core/zod.ts). Run by `npm run build` after tsc, which wrote that
// file as a plain re-export of 'zod'. Uses vite (rolldown), already the dashboard's bundler.
import { build } from 'vite';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, 'dist', 'src', 'core', 'zod.js');
const HEADER = '// zod (node_modules/zod), bundled into one module by scripts/bundle-zod.mjs: see src/core/zod.ts.\n';
// tsc's re-export, or an earlier bundle (an incremental tsc does not emit an unchanged file again):
// either way it is rebuilt from the installed zod
// (missing: an incremental tsc that kept dist/.tsbuildinfo does not write it again; the bundle is
// made from node_modules either way)
const emitted = existsSync(target) ? readFileSync(target, 'utf8') : HEADER;
if (!/export \{ z \} from 'zod';/.test(emitted) && !emitted.startsWith(HEADER)) {
  console.error(`bundle-zod: ${target} is neither tsc's re-export of zod nor a bundle of it (run tsc first); nothing written`);
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'warden-zod-'));
try {
  const entry = fileURLToPath(import.meta.resolve('zod')); // the package's ES module entry
  await build({
    configFile: false, logLevel: 'warn', root,
    resolve: { conditions: ['node', 'import', 'default'] },
    ssr: { noExternal: true },
    build: {
      ssr: entry, outDir: join(work, 'out'), emptyOutDir: true, minify: false, sourcemap: false, copyPublicDir: false,
      rolldownOptions: { output: { format: 'es', entryFileNames: 'zod.js', codeSplitting: false }, checks: { pluginTimings: false } },
    },
  });
  const bundled = readFileSync(join(work, 'out', 'zod.js'), 'utf8');
  if (/^\s*import\s/m.test(bundled) || !/export\s*\{[^}]*\bz\b/.test(bundled)) {
    console.error('bundle-zod: the bundle imports other files or does not export z; nothing written');
    process.exit(1);
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(`${target}.tmp`, HEADER + bundled);
  renameSync(`${target}.tmp`, target);
  rmSync(`${target}.map`, { force: true });
} finally {
  rmSync(work, { recursive: true, force: true });
}
