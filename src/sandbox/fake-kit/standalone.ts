// Running a fake alone on a port (`npm run fake-*`, integration tests), and the delays it owes answers.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class StandaloneServer {
  private server?: Server;
  private readonly delays = new Set<NodeJS.Timeout>();

  constructor(private readonly handler: (req: IncomingMessage, res: ServerResponse) => void) {}

  /** A fault's delay; cut short (never resolved) when the fake closes. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.delays.delete(timer);
        resolve();
      }, ms);
      this.delays.add(timer);
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer(this.handler);
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Where it listens; null until `listen()`. */
  address(): AddressInfo | null {
    return (this.server?.address() as AddressInfo | undefined) ?? null;
  }

  async close(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
