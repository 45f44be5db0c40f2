import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { perCallSignal } from './outbound-http';

// The per-call timeout must fire even when the garbage collector runs while the call waits: with
// AbortSignal.any([budget, AbortSignal.timeout(ms)]) it did not on Node 20 (nodejs/node#57736), and a
// provider answer far slower than the timeout came back as a success.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function abortedWith(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve((signal.reason as Error).name)));
}

it('fires the timeout although a garbage collection ran while waiting', async () => {
  const budget = new AbortController();
  const calls = Array.from({ length: 5 }, () => perCallSignal(budget.signal, 50));
  const reasons = Promise.all(calls.map((call) => abortedWith(call.signal)));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  expect(await reasons).toEqual(Array(5).fill('TimeoutError'));
  calls.forEach((call) => call.done());
});

it('ends with the budget, with the budget’s reason, before the timeout', async () => {
  const budget = new AbortController();
  const call = perCallSignal(budget.signal, 60_000);
  budget.abort();
  expect(call.signal.aborted).toBe(true);
  expect((call.signal.reason as Error).name).toBe('AbortError');
  call.done();
});

it('starts aborted when the budget is already spent; done() leaves no timer behind', () => {
  const budget = new AbortController();
  budget.abort();
  const call = perCallSignal(budget.signal, 60_000);
  expect(call.signal.aborted).toBe(true);
  call.done();
  const live = perCallSignal(new AbortController().signal, 60_000);
  live.done();
  expect(live.signal.aborted).toBe(false);
});
