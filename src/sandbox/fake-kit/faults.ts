// Fault injection for every fake: `POST /faults` parsed once, and the queue the fake takes them from.
import { FakeInputError, Json } from './http';

/** What every fake's faults share; the provider's own error is a field of its own (`error`, `errcode`). */
export interface FaultBase<E extends string = string> {
  endpoint: E;
  httpStatus?: number;
  delayMs?: number;
  /** Hold the answer until released, reset or closed: a "slow answer" that no timeout can outrun. */
  hold?: boolean;
  drop?: boolean;
  malformed?: boolean;
  times: number;
}

export interface FaultSpec<E extends string> {
  endpoints: readonly E[];
  /** The provider's own error in a fault: Apple/Huawei/QQ/Alipay `error` (a string), WeChat `errcode` (a number). */
  error: { key: string; kind: 'string' | 'integer' };
  /** Whether the fake can hold an answer (WeChat's cannot). */
  hold: boolean;
}

export function parseFault<F extends FaultBase<E>, E extends string = F['endpoint']>(
  body: Json,
  spec: FaultSpec<E>,
): F {
  const { endpoints } = spec;
  const key = spec.error.key;
  const endpoint = body.endpoint;
  if (typeof endpoint !== 'string' || !endpoints.includes(endpoint as E)) {
    throw new FakeInputError(`endpoint must be one of ${endpoints.join(', ')}`);
  }
  const times = body.times ?? 1;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
    throw new FakeInputError('times must be a positive whole number');
  }
  const fault: FaultBase<E> & Json = { endpoint: endpoint as E, times };
  const error = body[key];
  if (error !== undefined) {
    if (spec.error.kind === 'string' && (typeof error !== 'string' || error === '')) {
      throw new FakeInputError(`${key} must be a string`);
    }
    if (spec.error.kind === 'integer' && (typeof error !== 'number' || !Number.isInteger(error))) {
      throw new FakeInputError(`${key} must be a number`);
    }
    fault[key] = error;
  }
  if (body.httpStatus !== undefined) {
    if (typeof body.httpStatus !== 'number' || body.httpStatus < 400 || body.httpStatus > 599) {
      throw new FakeInputError('httpStatus must be 400..599');
    }
    fault.httpStatus = body.httpStatus;
  }
  if (body.delayMs !== undefined) {
    if (typeof body.delayMs !== 'number' || body.delayMs < 0 || body.delayMs > 120000) {
      throw new FakeInputError('delayMs must be 0..120000');
    }
    fault.delayMs = body.delayMs;
  }
  if (spec.hold && body.hold === true) fault.hold = true;
  if (body.drop === true) fault.drop = true;
  if (body.malformed === true) fault.malformed = true;
  const kinds = [fault[key] !== undefined, fault.httpStatus !== undefined, fault.drop, fault.malformed].filter(Boolean);
  const waits = spec.hold ? 'delayMs or hold' : 'delayMs';
  if (kinds.length > 1)
    throw new FakeInputError(`give one of ${key}, httpStatus, drop, malformed (${waits} may join any)`);
  if (kinds.length === 0 && fault.delayMs === undefined && !fault.hold) {
    throw new FakeInputError(`give ${key}, httpStatus, delayMs${spec.hold ? ', hold' : ''}, drop or malformed`);
  }
  return fault as unknown as F;
}

/** The faults waiting to fire, each for its next `times` calls of its endpoint. */
export class FaultQueue<F extends FaultBase> {
  private faults: F[] = [];

  add(fault: F): void {
    this.faults.push({ ...fault });
  }

  list(): F[] {
    return this.faults;
  }

  clear(): void {
    this.faults = [];
  }

  /** The next fault for this endpoint, counted as used; undefined when none waits. */
  take(endpoint: F['endpoint']): F | undefined {
    const index = this.faults.findIndex((f) => f.endpoint === endpoint && f.times > 0);
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.times -= 1;
    if (fault.times === 0) this.faults.splice(index, 1);
    return fault;
  }
}
