import { startTestApp, TestApp } from '../support/test-app';

// What `promtool check metrics` (run on the built service in CI, scripts/smoke.sh) checks first:
// every metric has help text, counters and only counters end in _total.
describe('/metrics format', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('names counters, and only counters, *_total and gives every metric its help', async () => {
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    const types = new Map<string, string>();
    const helps = new Set<string>();
    for (const line of (res.text as string).split('\n')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1], type[2]);
      const help = /^# HELP (\S+) \S/.exec(line);
      if (help) helps.add(help[1]);
    }
    expect(types.size).toBeGreaterThan(10);
    const problems = [...types].flatMap(([name, type]) => [
      ...(type === 'counter' && !name.endsWith('_total') ? [`${name}: a counter without _total`] : []),
      ...(type !== 'counter' && name.endsWith('_total') ? [`${name}: a ${type} named _total`] : []),
      ...(helps.has(name) ? [] : [`${name}: no help`]),
    ]);
    expect(problems).toEqual([]);
    expect(types.get('wechat_login_nodejs_active_handles')).toBe('gauge');
  });
});
