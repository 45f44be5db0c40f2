import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// What the Apple, Huawei and carrier fakes share: the clock, fault injection, the call log, body
// parsing (JSON or form; Express may have parsed it already when mounted in the service), answers,
// and running alone on a port.

export type Json = Record<string, unknown>;

export interface FakeFault {
  endpoint: string;
  /** A provider error to answer with (Apple/Huawei: the `error` field; carrier: the `Code`). */
  error?: string;
  httpStatus?: number;
  delayMs?: number;
  /** Hold the answer until `releaseHeld()`, `reset()` or `close()`: a "slow answer" that no timeout can outrun. */
  hold?: boolean;
  drop?: boolean;
  malformed?: boolean;
  times: number;
}

export interface FakeCall {
  path: string;
  at: string;
}

export class FakeInputError extends Error {}

const MAX_BODY = 16 * 1024;

/** Time on the shared sandbox clock when given one (in-process), else the fake's own movable clock. */
export class FakeClock {
  private offsetMs = 0;

  constructor(private readonly shared?: () => number) {}

  now(): number {
    return this.shared ? this.shared() : Date.now() + this.offsetMs;
  }

  advance(seconds: number): number {
    if (!this.shared) this.offsetMs += seconds * 1000;
    return this.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

export abstract class FakeProviderServer {
  protected faults: FakeFault[] = [];
  protected callLog: FakeCall[] = [];
  private server?: Server;
  private readonly delays = new Set<NodeJS.Timeout>();
  private held: Array<(goOn: boolean) => void> = [];

  constructor(
    readonly clock: FakeClock,
    private readonly endpoints: readonly string[],
  ) {}

  /** A Connect/Express-compatible handler; paths are relative to where it is mounted. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof FakeInputError) return sendJson(res, 400, { error: error.message });
      sendJson(res, 500, { error: 'fake failure' });
    });
  };

  calls(path?: string): FakeCall[] {
    return path ? this.callLog.filter((c) => c.path === path) : [...this.callLog];
  }

  addFault(fault: FakeFault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Lets every held answer go on (to whatever the fault then says, or the real answer). */
  releaseHeld(): void {
    this.endHeld(true);
  }

  /** How many answers are held right now. */
  heldCount(): number {
    return this.held.length;
  }

  reset(): void {
    this.endHeld(false);
    this.faults = [];
    this.callLog = [];
    this.clock.reset();
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer(this.handler);
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    this.endHeld(false);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  // Held answers go on (release) or are cut off (reset, close: they belong to a finished test).
  private endHeld(goOn: boolean): void {
    const held = this.held;
    this.held = [];
    for (const end of held) end(goOn);
  }

  /** The provider's own API; answers or returns false when the path is not one of its endpoints. */
  protected abstract api(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean>;

  /** The sandbox's "user side" routes (authorize, token, ...); false when not one of them. */
  protected abstract userSide(req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean>;

  protected record(path: string): void {
    this.callLog.push({ path, at: new Date(this.clock.now()).toISOString() });
  }

  /**
   * Applies the next fault for this endpoint, if any: waits its delay, then answers for it and
   * returns true, or returns false to let the real answer follow (a delay alone).
   */
  protected async applyFault(
    endpoint: string,
    res: ServerResponse,
    answer: (fault: FakeFault) => { status: number; body: string },
  ): Promise<{ applied: boolean; fault?: FakeFault }> {
    const index = this.faults.findIndex((f) => f.endpoint === endpoint && f.times > 0);
    if (index < 0) return { applied: false };
    const fault = this.faults[index];
    fault.times -= 1;
    if (fault.times === 0) this.faults.splice(index, 1);
    if (fault.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.delays.delete(timer);
          resolve();
        }, fault.delayMs);
        this.delays.add(timer);
      });
    }
    if (fault.hold && !(await new Promise<boolean>((resolve) => this.held.push(resolve)))) {
      res.socket?.destroy(); // abandoned at reset or close: nobody waits for it any more
      return { applied: true, fault };
    }
    if (fault.drop) {
      res.socket?.destroy();
      return { applied: true, fault };
    }
    if (fault.httpStatus) {
      sendText(
        res,
        fault.httpStatus,
        `<html><body><h1>${fault.httpStatus}</h1>upstream error</body></html>`,
        'text/html',
      );
      return { applied: true, fault };
    }
    if (fault.malformed) {
      sendText(res, 200, '{"error":', 'application/json');
      return { applied: true, fault };
    }
    if (fault.error !== undefined) {
      const { status, body } = answer(fault);
      sendText(res, status, body, 'application/json;charset=UTF-8');
      return { applied: true, fault };
    }
    return { applied: false, fault };
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (await this.api(req, res, path, url)) return;
    const route = `${req.method} ${path}`;
    if (await this.userSide(req, res, route)) return;
    switch (route) {
      case 'POST /faults':
        this.addFault(parseFault(await readBody(req), this.endpoints));
        return sendJson(res, 200, { faults: this.faults });
      case 'DELETE /faults':
        this.clearFaults();
        return sendJson(res, 200, { faults: [] });
      case 'GET /faults':
        return sendJson(res, 200, { faults: this.faults });
      case 'GET /calls':
        return sendJson(res, 200, { calls: this.calls(url.searchParams.get('path') ?? undefined) });
      case 'DELETE /calls':
        this.callLog = [];
        return sendJson(res, 200, { calls: [] });
      case 'POST /clock': {
        const seconds = (await readBody(req)).advanceSeconds;
        if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
          throw new FakeInputError('advanceSeconds must be a non-negative number');
        }
        return sendJson(res, 200, { now: new Date(this.clock.advance(seconds)).toISOString() });
      }
      case 'GET /clock':
        return sendJson(res, 200, { now: new Date(this.clock.now()).toISOString() });
      case 'POST /reset':
        this.reset();
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: 'not found' });
    }
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), 'application/json;charset=UTF-8');
}

export function sendText(res: ServerResponse, status: number, body: string, contentType: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/** A JSON or form body as an object (Express may have parsed it already). */
export async function readBody(req: IncomingMessage): Promise<Json> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed && typeof parsed === 'object' && Object.keys(parsed).length > 0) return parsed as Json;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new FakeInputError('body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Json;
  } catch {
    throw new FakeInputError('body must be a JSON object');
  }
}

export function optionalString(body: Json, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FakeInputError(`${key} must be a string`);
  return value;
}

export function requireString(body: Json, key: string): string {
  const value = optionalString(body, key);
  if (!value) throw new FakeInputError(`${key} is required`);
  return value;
}

export function parseFault(body: Json, endpoints: readonly string[]): FakeFault {
  const endpoint = body.endpoint;
  if (typeof endpoint !== 'string' || !endpoints.includes(endpoint)) {
    throw new FakeInputError(`endpoint must be one of ${endpoints.join(', ')}`);
  }
  const times = body.times ?? 1;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
    throw new FakeInputError('times must be a positive whole number');
  }
  const fault: FakeFault = { endpoint, times };
  if (body.error !== undefined) {
    if (typeof body.error !== 'string' || body.error === '') throw new FakeInputError('error must be a string');
    fault.error = body.error;
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
  if (body.hold === true) fault.hold = true;
  if (body.drop === true) fault.drop = true;
  if (body.malformed === true) fault.malformed = true;
  const kinds = [fault.error !== undefined, fault.httpStatus !== undefined, fault.drop, fault.malformed].filter(
    Boolean,
  );
  if (kinds.length > 1)
    throw new FakeInputError('give one of error, httpStatus, drop, malformed (delayMs or hold may join any)');
  if (kinds.length === 0 && fault.delayMs === undefined && !fault.hold) {
    throw new FakeInputError('give error, httpStatus, delayMs, hold, drop or malformed');
  }
  return fault;
}
