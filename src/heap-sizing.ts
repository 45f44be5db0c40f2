import { url as inspectorUrl } from 'node:inspector';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts, before any other module loads. V8 sizes its heap for the machine, not for
 * this service: on Node 24 with a lot of memory each young-generation semi-space may grow to 64 MB
 * (128 MB committed), and the old generation may grow to about 4 × what is live before a major GC.
 * Under load the service keeps ~75 MB live yet committed ~350 MB of heap (RSS ~440 MB against the
 * bare floor's ~105 MB). Two settings fix that at a small cost in collections (docs/benchmarks.md,
 * "Memory"): semi-spaces of at most HEAP_FLAGS' size and a fixed growing factor of 1.5.
 *
 * Both are read when V8 sets the heap up, so they must be on node's command line: on a Node that has
 * `process.execve` (22.15+, 24), the serving process replaces itself, same pid, same stdio, before
 * loading anything, with the flags added. Elsewhere (Node 20) the growing factor is set at run time,
 * which older V8s still honour; so it is when node runs under a profiler or an inspector (a profiler's
 * SIGPROF timer would survive the exec and kill the new image). A flag already given to node (argv or NODE_OPTIONS) wins, and
 * NODE_HEAP_SIZING=off leaves V8's defaults alone. `migrate` and other short commands are not touched.
 */
export const HEAP_FLAGS: Readonly<Record<string, string>> = {
  '--max-semi-space-size': '16',
  '--heap-growing-percent': '50',
};

/** Set on the replaced process, so that it never replaces itself twice. */
const APPLIED = 'WECHAT_LOGIN_HEAP_SIZING_APPLIED';

export interface HeapSizingPlan {
  /** The flags node must be started with that it was not. */
  missing: string[];
  /** Replace the process with these arguments (null: nothing to do, or not possible here). */
  execArgs: string[] | null;
}

export function planHeapSizing(p: {
  execPath: string;
  execArgv: readonly string[];
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  canExec: boolean;
  /** An inspector is open: a profiler's SIGPROF timer would outlive the exec and kill the new image. */
  inspecting?: boolean;
}): HeapSizingPlan {
  const command = p.argv[2];
  if (p.env.NODE_HEAP_SIZING === 'off' || p.env[APPLIED] || (command !== undefined && command !== 'refresh-worker')) {
    return { missing: [], execArgs: null };
  }
  const given = [...p.execArgv, ...(p.env.NODE_OPTIONS ?? '').split(/\s+/)].map((arg) =>
    arg.replace(/=.*$/, '').replace(/_/g, '-'),
  );
  const missing = Object.entries(HEAP_FLAGS)
    .filter(([flag]) => !given.includes(flag))
    .map(([flag, value]) => `${flag}=${value}`);
  const profiling = p.inspecting || given.some((flag) => /^--(cpu-prof|heap-prof|prof|inspect|debug)/.test(flag));
  if (missing.length === 0 || !p.canExec || profiling) return { missing, execArgs: null };
  return { missing, execArgs: [p.execPath, ...p.execArgv, ...missing, ...p.argv.slice(1)] };
}

export function applyHeapSizing(): void {
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  const plan = planHeapSizing({
    execPath: process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    env: process.env,
    canExec: typeof execve === 'function',
    inspecting: inspectorUrl() !== undefined,
  });
  if (plan.execArgs && execve) {
    try {
      execve.call(process, process.execPath, plan.execArgs, { ...process.env, [APPLIED]: '1' });
    } catch {
      // Not allowed here (a sandbox refusing exec): run with V8's defaults, as below.
    }
  }
  const growing = plan.missing.find((flag) => flag.startsWith('--heap-growing-percent='));
  if (growing) setFlagsFromString(growing);
}

// Only when the process is the service itself (dist/src/main.js), never in a test runner's worker.
const entry = require.main?.filename;
if (entry && /[\\/]main\.[jt]s$/.test(entry) && dirname(entry) === __dirname) applyHeapSizing();
