import * as nodeModule from 'node:module';

/**
 * Imported first by main.ts (and by server.ts, the unbundled entry): on Node 22.1+ the code loaded from
 * here on (the bundle, dist/src/server.bundle.js, and what stays in node_modules) keeps V8's compiled
 * code in a cache on disk (NODE_COMPILE_CACHE, else the system's temp folder), so that later starts
 * skip most of the compiling. The Docker image fills one at build (`node dist/src/main.js
 * compile-cache`) and points NODE_COMPILE_CACHE at it. Nothing else changes: where the folder cannot
 * be created, or on Node 20 (no such API), the service starts as before; a folder it cannot write to
 * (a read-only image) is still read. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
if (typeof enable === 'function' && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  try {
    enable();
  } catch {
    // A cache is an optimisation only.
  }
}

/** Where the cache is (undefined when off: Node 20, NODE_DISABLE_COMPILE_CACHE, or not writable). */
export function compileCacheDir(): string | undefined {
  return (nodeModule as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.();
}
