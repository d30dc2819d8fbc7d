/**
 * Serves the built dashboard (dist/web, made by `npm run build` from web/): the files that exist
 * under that directory, nothing outside it, with a strict CSP (no network beyond this origin).
 * Any non-file path under / that is not /api or /metrics gets index.html (the app routes by hash).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { noQuery } from './schemas.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.map': 'application/json',
};
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const FILE_BYTES_MAX = 8 * 1024 * 1024;

export function registerStatic(app: FastifyInstance, webDir: string): void {
  const root = resolve(webDir);
  const send = (file: string) => ({ body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' });
  const index = join(root, 'index.html');
  app.get('/*', { schema: { querystring: { type: 'object', additionalProperties: true } } }, async (req, reply) => {
    const path = decodeURIComponent((req.url.split('?')[0] ?? '/'));
    if (path.startsWith('/api/') || path === '/api' || path.startsWith('/metrics')) return reply.code(404).send({ error: `not found: ${path} (GET /api/books is the start)` });
    const file = normalize(join(root, path));
    let target = index;
    if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile() && statSync(file).size <= FILE_BYTES_MAX) target = file;
    if (!existsSync(target)) return reply.code(404).send({ error: `the dashboard is not built (${index} missing): run npm run build` });
    const f = send(target);
    return reply.header('content-type', f.type).header('content-security-policy', CSP).header('x-content-type-options', 'nosniff')
      .header('cache-control', target === index ? 'no-store' : 'public, max-age=3600').send(f.body);
  });
  app.get('/', { schema: { querystring: noQuery } }, async (_req, reply) => {
    if (!existsSync(index)) return reply.code(404).send({ error: `the dashboard is not built (${index} missing): run npm run build` });
    return reply.header('content-type', TYPES['.html']).header('content-security-policy', CSP).header('cache-control', 'no-store').send(readFileSync(index));
  });
}
