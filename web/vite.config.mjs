// Builds the dashboard (web/) into dist/web: `npm run build`. No CDN: everything is bundled.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)), emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024,
    rolldownOptions: { checks: { pluginTimings: false } }, // timing hints on a loaded machine are noise
  },
});
