import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy that a test can cut and restore, standing in for a database that goes away and comes
 * back. While cut it accepts connections and drops them at once, like a host whose service is down.
 * While frozen, connections stay up and nothing answers: a stalled database (a hung server, a
 * network partition that drops packets silently).
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly held = new Set<Socket>();
  private cut = false;
  private frozen = false;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = createServer((client) => {
      if (this.cut) {
        client.destroy();
        return;
      }
      if (this.frozen) {
        // Accepted, and then silence: not even the server's greeting.
        this.held.add(client);
        client.pause();
        client.on('error', () => client.destroy());
        client.on('close', () => this.held.delete(client));
        return;
      }
      this.forward(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  private forward(client: Socket): void {
    const upstream = new Socket();
    upstream.connect(this.targetPort, this.targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    for (const socket of pair) {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.pairs.delete(pair);
      });
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  /** The database stalls: every connection stays open and nothing passes either way. */
  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** The stall ends: what was held back flows again, held connections reach the database. */
  thaw(): void {
    this.frozen = false;
    for (const [client, upstream] of this.pairs) {
      client.pipe(upstream);
      upstream.pipe(client);
    }
    for (const client of this.held) {
      this.held.delete(client);
      if (!client.destroyed) this.forward(client);
    }
  }

  /** The database "goes down": live connections die, new ones are refused. */
  cutOff(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  async stop(): Promise<void> {
    this.cutOff();
    for (const client of this.held) client.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
