// ESLint flat config. The block for src/core/** is the determinism guard: the kernel must not
// read a clock, draw randomness, read the environment, do I/O or start timers, and must not
// import anything of ours from outside src/core (imports point inward). test/core-purity.unit
// proves each of these rules fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const outward = ['store', 'runtime', 'cli', 'ingest', 'replay', 'telemetry', 'api', 'ai', 'web', 'backtest', 'config', 'report'];

export const coreRestrictions = {
  'no-restricted-globals': ['error',
    { name: 'Date', message: 'src/core has no clock: time is event time, passed in.' },
    { name: 'process', message: 'src/core reads no environment or process state.' },
    { name: 'setTimeout', message: 'src/core has no timers.' },
    { name: 'setInterval', message: 'src/core has no timers.' },
    { name: 'setImmediate', message: 'src/core has no timers.' },
    { name: 'queueMicrotask', message: 'src/core has no scheduling.' },
    { name: 'performance', message: 'src/core has no clock.' },
    { name: 'fetch', message: 'src/core does no I/O.' },
    { name: 'crypto', message: 'src/core draws no randomness (use node:crypto createHash for hashing only).' },
    { name: 'console', message: 'src/core does no I/O: return data, let the caller log.' },
  ],
  'no-restricted-properties': ['error',
    { object: 'Math', property: 'random', message: 'src/core draws no randomness: use a seeded PRNG whose seed is in the log.' },
    { object: 'Date', property: 'now', message: 'src/core has no clock.' },
  ],
  'no-restricted-imports': ['error', {
    paths: ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'child_process', 'os', 'dgram', 'dns',
      'worker_threads', 'cluster', 'process', 'timers', 'timers/promises', 'perf_hooks', 'readline', 'tls', 'v8', 'vm']
      .flatMap((m) => [m, `node:${m}`])
      .map((name) => ({ name, message: 'src/core is pure: no I/O, clock, process or timers.' })),
    patterns: [
      { group: outward.flatMap((d) => [`**/${d}`, `**/${d}/**`]), message: 'Imports point inward: src/core imports nothing of ours outside src/core.' },
      { group: ['pg', '@electric-sql/*', 'pino', 'pino-*', 'commander', 'fastify', 'cli-progress'], message: 'src/core is pure: infrastructure libraries live outside it.' },
    ],
  }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  { files: ['src/core/**/*.ts'], ignores: ['src/core/**/*.test.ts'], rules: coreRestrictions },
);
