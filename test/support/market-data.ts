/**
 * Where tests find the real market data: the shared external data folder (its README gives the
 * provenance of every file), overridable with TEST_EXTERNAL_DATA_DIR, and the project's bundled data/.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXTERNAL_DATA_DIR = process.env.TEST_EXTERNAL_DATA_DIR ?? '/work/shared/data/external';
/** The repository's data/ folder (dist/test/support -> ../../../data). */
export const BUNDLED_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'data');
