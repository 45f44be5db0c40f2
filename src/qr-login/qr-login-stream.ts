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
    private readonly onEnd: () => void = () => undefined,
    /** Checked before each read: true ends the stream (the instance is draining for shutdown). */
    private readonly stopping: () => boolean = () => false,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<QrLoginStatus>> {
    while (!this.finished) {
      if (this.last !== null) await this.pause();
      if (this.finished) break;
      if (this.stopping()) {
        this.end();
        break;
      }
      const status = await this.read();
      if (status === this.last) continue;
      this.last = status;
      if (FINAL.has(status)) this.end();
      return { value: status, done: false };
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<QrLoginStatus>> {
    this.end();
    clearTimeout(this.timer);
    this.wake?.();
    return { value: undefined, done: true };
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.onEnd();
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.intervalMs);
    });
  }
}
