/**
 * The container facts, checked without a Docker engine: compose.yml has exactly the runtime and
 * postgres services, named volumes for the audit events (PostgreSQL data) and the snapshots, the
 * runtime waits for a healthy postgres, never migrates, and gets every runtime variable (valid,
 * loopback health port matching its healthcheck, no secret in the file); the Dockerfile is
 * multi-stage on one Node 20 image with the required steps, a non-root user and no secrets; the
 * startup-sequence doc lists the phases and exit codes the code has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { RUNTIME_VARS, validateConfig } from '../src/runtime/config/index.js';
import { STARTUP_PHASES } from '../src/runtime/phases.js';
import { EXIT, RUNTIME_EXIT_CODES } from '../src/exit-codes.js';
import { ROOT } from './runtime-proc.js';

type Service = {
  image?: string; build?: { dockerfile?: string }; environment?: Record<string, string>; volumes?: string[];
  depends_on?: Record<string, { condition?: string }>; healthcheck?: { test?: string[] }; command?: unknown; entrypoint?: unknown;
};
const text = readFileSync(`${ROOT}compose.yml`, 'utf8');
const compose = parse(text) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const runtime = compose.services.runtime!;
const postgres = compose.services.postgres!;

/** Compose interpolation for the forms the file uses: ${VAR} and ${VAR:?message}. */
function interpolate(v: string, env: Record<string, string>): string {
  return v.replace(/\$\{([A-Z_][A-Z0-9_]*)(:\?[^}]*)?\}/g, (_, name: string) => {
    if (!(name in env)) throw new Error(`compose would refuse: ${name} is unset`);
    return env[name]!;
  });
}

test('exactly two services: runtime and postgres', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['postgres', 'runtime']);
});

test('named volumes: postgres data (audit events) and runtime snapshots, nothing else', () => {
  const named = Object.keys(compose.volumes).sort();
  assert.equal(named.length, 2);
  const mount = (s: Service) => (s.volumes ?? []).map((v) => v.split(':') as [string, string]);
  const [pgVol] = mount(postgres).find(([, target]) => target === '/var/lib/postgresql/data') ?? [];
  const [snapVol] = mount(runtime).find(([, target]) => target === runtime.environment!.WARDEN_SNAPSHOT_DIR) ?? [];
  assert.ok(pgVol && named.includes(pgVol), 'postgres data on a named volume');
  assert.ok(snapVol && named.includes(snapVol), 'WARDEN_SNAPSHOT_DIR on a named volume');
  assert.notEqual(pgVol, snapVol);
  assert.match(pgVol!, /audit|events/);
  assert.match(snapVol!, /snapshot/);
  for (const [source] of [...mount(postgres), ...mount(runtime)]) assert.ok(named.includes(source), `${source} is a named volume, not a host path`);
});

test('the runtime waits for a healthy postgres, and postgres has a healthcheck', () => {
  assert.equal(runtime.depends_on?.postgres?.condition, 'service_healthy');
  assert.ok(postgres.healthcheck?.test?.join(' ').includes('pg_isready'));
});

test('the runtime never migrates on start: the image CMD runs, no command override', () => {
  assert.equal(runtime.command, undefined);
  assert.equal(runtime.entrypoint, undefined);
  assert.equal(runtime.build?.dockerfile, 'infra/docker/Dockerfile.runtime');
});

test('the runtime gets exactly the runtime variables, valid, with no secret in the file', () => {
  const env = runtime.environment!;
  assert.deepEqual(Object.keys(env).sort(), [...RUNTIME_VARS].sort());
  assert.match(env.WARDEN_DATABASE_URL!, /\$\{POSTGRES_PASSWORD:\?/);
  assert.match(String(postgres.environment?.POSTGRES_PASSWORD), /^\$\{POSTGRES_PASSWORD:\?/);
  assert.throws(() => interpolate(env.WARDEN_DATABASE_URL!, {}), /POSTGRES_PASSWORD is unset/);
  const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v), { POSTGRES_PASSWORD: 'x' })]));
  const config = validateConfig(resolved, RUNTIME_VARS);
  assert.ok(String(config.WARDEN_DATABASE_URL).startsWith('postgres://'), 'the container uses the PostgreSQL service, not an embedded store');
  assert.match(String(config.WARDEN_DATABASE_URL), /@postgres:5432\//);
  const hc = runtime.healthcheck!.test!.join(' ');
  assert.ok(hc.includes(`http://${config.WARDEN_HTTP_HOST}:${config.WARDEN_HTTP_PORT}/readyz`), 'healthcheck probes the configured readiness port');
});

const dockerfile = readFileSync(`${ROOT}infra/docker/Dockerfile.runtime`, 'utf8');
const instructions = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).join('\n').replace(/\\\n/g, ' ');

test('Dockerfile: two stages on the same Node 20 image (the documented toolchain)', () => {
  const froms = [...instructions.matchAll(/^FROM (\S+) AS (\S+)/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(froms, [['${NODE_IMAGE}', 'build'], ['${NODE_IMAGE}', 'runtime']]);
  const image = /^ARG NODE_IMAGE=node:(\d+)\.\S+$/m.exec(instructions);
  assert.ok(image, 'NODE_IMAGE is a pinned node image');
  assert.equal(image[1], readFileSync(`${ROOT}.nvmrc`, 'utf8').trim());
});

test('Dockerfile: stage 1 npm ci, npm test, npm run build; stage 2 production install + dist, non-root, start:paper', () => {
  const [stage1, stage2] = instructions.split(/^FROM .* AS runtime$/m) as [string, string];
  assert.match(stage1, /npm ci --no-audit/);
  assert.match(stage1, /npm test/);
  assert.match(stage1, /npm run build/);
  assert.ok(stage1.indexOf('npm test') < stage1.indexOf('npm run build'));
  assert.match(stage2, /npm ci --omit=dev/);
  assert.match(stage2, /COPY --from=build \S+\/dist\/src \.\/dist\/src/);
  assert.match(stage2, /COPY --from=build \S+\/migrations \.\/migrations/);
  assert.match(stage2, /^USER (?!root)\S+$/m);
  // CMD is npm run start:paper's exact command, without npm (which does not forward SIGTERM).
  const script = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts['start:paper'];
  const cmd = /^CMD (\[.*\])$/m.exec(stage2);
  assert.ok(cmd, 'CMD in exec form');
  assert.equal((JSON.parse(cmd[1]!) as string[]).join(' '), script);
  assert.doesNotMatch(stage2, /npm test|devDependencies|COPY \. /);
});

test('Dockerfile: no secrets or configuration baked in, no data copied', () => {
  assert.doesNotMatch(instructions, /^(ENV|ARG) .*(WARDEN_|PASSWORD|SECRET|TOKEN)/m);
  assert.doesNotMatch(instructions, /COPY .*(\.env\b|var\/|\.pglite)/);
  const ignore = readFileSync(`${ROOT}.dockerignore`, 'utf8').split('\n');
  for (const p of ['node_modules', 'dist', 'var', '.env']) assert.ok(ignore.includes(p), `.dockerignore lists ${p}`);
});

test('infra/RUNTIME_STARTUP_SEQUENCE.md lists the phases in order and the exit codes the code uses', () => {
  const doc = readFileSync(`${ROOT}infra/RUNTIME_STARTUP_SEQUENCE.md`, 'utf8');
  const positions = STARTUP_PHASES.map((p) => doc.indexOf(`\`${p}\``));
  assert.ok(positions.every((p) => p >= 0), 'every phase is named');
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'in order');
  for (const name of RUNTIME_EXIT_CODES) {
    const code = EXIT[name];
    assert.match(doc, new RegExp(`^\\| ${code} \\|`, 'm'), `exit code ${code} (${name}) has a row`);
  }
});

test('README lists every code of the one exit-code table (src/exit-codes.ts)', () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  for (const [name, code] of Object.entries(EXIT)) {
    assert.match(readme, new RegExp(`^\\| (${code}|\\d+ / ${code}|${code} / \\d+) \\|`, 'm'), `exit code ${code} (${name}) has a row in README's table`);
  }
});
