import { setFlagsFromString } from 'node:v8';

/**
 * Called by main.ts once the service listens (the service process only, not tests or tools; after the
 * start, so that module loading does not pay for extra collections). V8 lets the old generation grow
 * to about 4 × what is live before a major GC while the heap is small: under load this service keeps
 * ~75 MB live but let its heap swing up to ~310 MB, committing ~350 MB (RSS ~430 MB against 165 MB
 * idle) for no gain. A fixed growing factor of 1.5 keeps the committed heap near 155 MB (RSS ~235 MB)
 * at the same throughput (docs/benchmarks.md, "Memory"). V8 reads the factor at every limit
 * computation, so setting it once is enough. A --heap-growing-percent given to node wins.
 */
export const HEAP_GROWING_PERCENT = 50;

export function limitHeapGrowth(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) =>
    /^--heap[-_]growing[-_]percent\b/.test(arg),
  );
  if (!given) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
