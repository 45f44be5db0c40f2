// First: it may restart node with heap flags before anything is loaded (same pid).
import './heap-sizing';
import './compile-cache';
import { statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The entry point (`node dist/src/main.js [migrate | refresh-worker]`). `npm run build` also writes
 * the service as one file, dist/src/server.bundle.js (scripts/bundle.mjs): one script instead of
 * ~3,000 modules to find, read and link, which was most of a start. It is loaded after the compile
 * cache is on, so that its compiled code is cached too. Without a bundle, or with one older than
 * the build (`tsc` or `nest build` alone), the modules run as compiled: `node dist/src/server.js`
 * always does (profiles then name every file).
 */
const BUNDLE = join(__dirname, 'server.bundle.js');

function bundleIsCurrent(): boolean {
  try {
    return statSync(BUNDLE).mtimeMs >= statSync(join(__dirname, 'server.js')).mtimeMs;
  } catch {
    return false;
  }
}

require(bundleIsCurrent() ? BUNDLE : './server');
