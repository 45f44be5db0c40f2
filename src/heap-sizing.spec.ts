import { HEAP_FLAGS, planHeapSizing } from './heap-sizing';

describe('planHeapSizing', () => {
  const base = {
    execPath: '/usr/bin/node',
    execArgv: [] as string[],
    argv: ['/usr/bin/node', '/app/dist/src/main.js'],
    env: {} as NodeJS.ProcessEnv,
    canExec: true,
  };
  const all = Object.entries(HEAP_FLAGS).map(([flag, value]) => `${flag}=${value}`);

  it('restarts the serving process with every heap flag, keeping its own node arguments first', () => {
    const plan = planHeapSizing({ ...base, execArgv: ['--enable-source-maps'] });
    expect(plan.missing).toEqual(all);
    expect(plan.execArgs).toEqual(['/usr/bin/node', '--enable-source-maps', ...all, '/app/dist/src/main.js']);
  });

  it('does the same for the refresh worker, and passes its command on', () => {
    const plan = planHeapSizing({ ...base, argv: [...base.argv, 'refresh-worker'] });
    expect(plan.execArgs).toEqual(['/usr/bin/node', ...all, '/app/dist/src/main.js', 'refresh-worker']);
  });

  it('leaves a flag the operator gave alone, on the command line or in NODE_OPTIONS, in either spelling', () => {
    expect(planHeapSizing({ ...base, execArgv: ['--max-semi-space-size=64'] }).missing).toEqual([
      '--heap-growing-percent=50',
    ]);
    expect(
      planHeapSizing({ ...base, env: { NODE_OPTIONS: '--max_semi_space_size=8 --heap-growing-percent=100' } }),
    ).toEqual({ missing: [], execArgs: null });
  });

  it('never restarts twice, nor for migrate, nor when turned off', () => {
    expect(planHeapSizing({ ...base, env: { WECHAT_LOGIN_HEAP_SIZING_APPLIED: '1' } }).execArgs).toBeNull();
    expect(planHeapSizing({ ...base, argv: [...base.argv, 'migrate'] })).toEqual({ missing: [], execArgs: null });
    expect(planHeapSizing({ ...base, env: { NODE_HEAP_SIZING: 'off' } })).toEqual({ missing: [], execArgs: null });
  });

  it('does not restart under a profiler or an inspector (its SIGPROF timer would outlive the exec)', () => {
    expect(planHeapSizing({ ...base, execArgv: ['--cpu-prof'] })).toEqual({ missing: all, execArgs: null });
    expect(planHeapSizing({ ...base, env: { NODE_OPTIONS: '--inspect=9229' } }).execArgs).toBeNull();
    expect(planHeapSizing({ ...base, inspecting: true }).execArgs).toBeNull();
  });

  it('without process.execve (Node 20) it only reports what is missing, to be set at run time', () => {
    expect(planHeapSizing({ ...base, canExec: false })).toEqual({ missing: all, execArgs: null });
  });
});

describe('the documented production command', () => {
  const { readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
  const { join } = jest.requireActual<typeof import('node:path')>('node:path');
  const flags = Object.entries(HEAP_FLAGS).map(([flag, value]) => `${flag}=${value}`);

  it('npm run start:prod and the Docker image pass the heap flags, so the service need not restart itself', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start:prod']).toBe(`node ${flags.join(' ')} dist/src/main.js`);
    const dockerfile = readFileSync(join(__dirname, '..', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`CMD ["node", ${flags.map((f) => JSON.stringify(f)).join(', ')}, "dist/src/main.js"]`);
  });
});
