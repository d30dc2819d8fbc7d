/**
 * Where tests find the real market data: the shared external data folder (its README gives the
 * provenance of every file), overridable with TEST_EXTERNAL_DATA_DIR, and the project's bundled data/.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/test/support -> ../../..). */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** ../shared/data/external beside the clone, as CI and every workspace lay it out. */
export const EXTERNAL_DATA_DIR = process.env.TEST_EXTERNAL_DATA_DIR ?? join(REPO_ROOT, '..', 'shared', 'data', 'external');
/** The repository's data/ folder (dist/test/support -> ../../../data). */
export const BUNDLED_DATA_DIR = join(REPO_ROOT, 'data');
