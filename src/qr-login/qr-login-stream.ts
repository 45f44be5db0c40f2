import { QrLoginStatus } from './models/qr-login.models';

const FINAL = new Set([QrLoginStatus.CONFIRMED, QrLoginStatus.CANCELLED, QrLoginStatus.EXPIRED]);

/**
 * A status stream that reads the row every `intervalMs` and emits each change, ending after a final
 * status (CONFIRMED, CANCELLED, EXPIRED). It holds nothing but its own timer: the row in the database
 * is the only state, so a stream on any instance sees steps taken on any other. `return()` (the client
 * went away) stops it at once.
 */
export class QrStatusStream implements AsyncIterableIterator<QrLoginStatus> {
  private last: QrLoginStatus | null = null;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly read: () => Promise<QrLoginStatus>,
    private readonly intervalMs: number,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<QrLoginStatus>> {
    while (!this.finished) {
      if (this.last !== null) await this.pause();
      if (this.finished) break;
      const status = await this.read();
      if (status === this.last) continue;
      this.last = status;
      this.finished = FINAL.has(status);
      return { value: status, done: false };
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<QrLoginStatus>> {
    this.finished = true;
    clearTimeout(this.timer);
    this.wake?.();
    return { value: undefined, done: true };
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.intervalMs);
    });
  }
}
