import { setImmediate as realTurn } from 'node:timers/promises';
import { LoadGate } from './load-gate';

// The gate's turns come from one timer; Jest's fake timers move it (and Date.now) without waiting.
// setImmediate stays real: the gate awaits a turn of the event loop before each grant.
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await realTurn();
};

describe('LoadGate', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] }));
  afterEach(() => jest.useRealTimers());

  function start(inFlight: { inFlight: number }, maxLagMs = 40, busyPerSecond = 10) {
    const gate = new LoadGate({ maxLagMs, busyPerSecond }, inFlight);
    gate.start();
    let passed = 0;
    const go = (stopping = () => false) => gate.pass(stopping).then(() => passed++);
    return { gate, go, passed: () => passed };
  }

  it('while requests are in flight, lets one grant start per slot, all workers together', async () => {
    const load = { inFlight: 3 };
    const { gate, go, passed } = start(load);
    const all = Array.from({ length: 5 }, () => go());
    await settle();
    expect(passed()).toBe(1);
    jest.advanceTimersByTime(100);
    await settle();
    expect(passed()).toBe(2);
    jest.advanceTimersByTime(250);
    await settle();
    expect(passed()).toBe(4);
    gate.stop();
    await Promise.all(all);
    expect(passed()).toBe(5);
  });

  it('with no request in flight and no lag, every worker goes at once', async () => {
    const { gate, go, passed } = start({ inFlight: 0 });
    await Promise.all(Array.from({ length: 8 }, () => go()));
    expect(passed()).toBe(8);
    gate.stop();
  });

  it('in a refresh-worker (maxLagMs 0) never waits, whatever the load', async () => {
    const { gate, go, passed } = start({ inFlight: 50 }, 0);
    await Promise.all(Array.from({ length: 8 }, () => go()));
    expect(passed()).toBe(8);
    gate.stop();
  });

  it('lets a shutdown through at once', async () => {
    const { gate, go, passed } = start({ inFlight: 1 });
    await go();
    const stopping = () => true;
    await Promise.all(Array.from({ length: 4 }, () => go(stopping)));
    expect(passed()).toBe(5);
    gate.stop();
  });
});
