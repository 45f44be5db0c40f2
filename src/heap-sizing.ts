import { setFlagsFromString } from 'node:v8';

/**
 * Imported by main.ts (the service process only, not tests or tools): V8 lets the old generation grow
 * to about 4 × what is live before a major GC when the heap is small. Under load this service keeps
 * ~75 MB live but let its heap swing up to ~310 MB, committing ~350 MB (RSS ~430 MB against 165 MB
 * idle) for no gain. A fixed growing factor of 1.5 keeps the committed heap near 150 MB (RSS ~225 MB)
 * at the same throughput (docs/architecture.md, "Memory"). The factor is read by V8 at every limit
 * computation, so setting it once at start is enough. A --heap-growing-percent given to node (or in
 * NODE_OPTIONS) wins.
 */
export const HEAP_GROWING_PERCENT = 50;

const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
  /^--heap[-_]growing[-_]percent\b/.test(arg),
);
if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
