// The control endpoints every fake answers the same way: faults, the call log, the clock, reset.
import type { IncomingMessage } from 'node:http';
import type { CallLog } from './call-log';
import type { FakeClock } from './clock';
import { FaultBase, FaultQueue } from './faults';
import { FakeInputError, Json } from './http';

export type ControlAnswer = { status: number; body: unknown };

export interface KitControlled {
  faults: FaultQueue<FaultBase>;
  parseFault(body: Json): FaultBase;
  calls: CallLog;
  clock: FakeClock;
  readBody(req: IncomingMessage): Promise<Json>;
  reset(): void;
}

/** Answers a kit control route, or undefined when `route` ("METHOD /path") is not one of them. */
export async function kitControl(
  req: IncomingMessage,
  route: string,
  query: URLSearchParams,
  fake: KitControlled,
): Promise<ControlAnswer | undefined> {
  const ok = (body: unknown): ControlAnswer => ({ status: 200, body });
  switch (route) {
    case 'POST /faults':
      fake.faults.add(fake.parseFault(await fake.readBody(req)));
      return ok({ faults: fake.faults.list() });
    case 'DELETE /faults':
      fake.faults.clear();
      return ok({ faults: [] });
    case 'GET /faults':
      return ok({ faults: fake.faults.list() });
    case 'GET /calls': {
      const path = query.get('path');
      return ok({ calls: path ? fake.calls.onPath(path) : fake.calls.list() });
    }
    case 'DELETE /calls':
      fake.calls.clear();
      return ok({ calls: [] });
    case 'POST /clock': {
      const seconds = (await fake.readBody(req)).advanceSeconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        throw new FakeInputError('advanceSeconds must be a non-negative number');
      }
      return ok({ now: new Date(fake.clock.advance(seconds)).toISOString() });
    }
    case 'GET /clock':
      return ok({ now: new Date(fake.clock.now()).toISOString() });
    case 'POST /reset':
      fake.reset();
      return ok({ ok: true });
    default:
      return undefined;
  }
}
