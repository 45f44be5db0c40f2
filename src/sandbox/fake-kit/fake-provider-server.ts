import type { IncomingMessage, ServerResponse } from 'node:http';
import { CallLog, LoggedCall } from './call-log';
import type { FakeClock } from './clock';
import { kitControl } from './control';
import { FaultBase, FaultQueue, parseFault } from './faults';
import { FakeInputError, Json, readBody, sendJson, sendText } from './http';
import { StandaloneServer } from './standalone';

// The base of the Apple, Huawei, carrier, QQ and Alipay fakes: the kit's clock, faults, call log and
// control endpoints, held answers, and running alone on a port.

export interface FakeFault extends FaultBase {
  /** A provider error to answer with (Apple/Huawei: the `error` field; carrier: the `Code`). */
  error?: string;
}

export type FakeCall = LoggedCall;

export abstract class FakeProviderServer {
  protected readonly faults = new FaultQueue<FakeFault>();
  protected readonly callLog = new CallLog();
  private readonly standalone: StandaloneServer;
  private held: Array<(goOn: boolean) => void> = [];

  constructor(
    readonly clock: FakeClock,
    private readonly endpoints: readonly string[],
  ) {
    this.standalone = new StandaloneServer(this.handler);
  }

  /** A Connect/Express-compatible handler; paths are relative to where it is mounted. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof FakeInputError) return sendJson(res, 400, { error: error.message });
      sendJson(res, 500, { error: 'fake failure' });
    });
  };

  calls(path?: string): FakeCall[] {
    return path ? this.callLog.list((c) => c.path === path) : this.callLog.list();
  }

  addFault(fault: FakeFault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
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
    this.faults.clear();
    this.callLog.clear();
    this.clock.reset();
  }

  listen(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.standalone.listen(port, host);
  }

  async close(): Promise<void> {
    this.endHeld(false);
    await this.standalone.close();
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
    this.callLog.record({ path }, this.clock.now());
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
    const fault = this.faults.take(endpoint);
    if (!fault) return { applied: false };
    if (fault.delayMs) await this.standalone.sleep(fault.delayMs);
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
    const control = await kitControl(req, route, url.searchParams, {
      faults: this.faults,
      parseFault: (body: Json) => parseProviderFault(body, this.endpoints),
      calls: this.callLog,
      clock: this.clock,
      readBody: (r) => readBody(r),
      reset: () => this.reset(),
    });
    if (control) return sendJson(res, control.status, control.body);
    return sendJson(res, 404, { error: 'not found' });
  }
}

/** A provider fault: its error is the provider's `error` string; answers may be held. */
export function parseProviderFault(body: Json, endpoints: readonly string[]): FakeFault {
  return parseFault<FakeFault>(body, { endpoints, error: { key: 'error', kind: 'string' }, hold: true });
}
