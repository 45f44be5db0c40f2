import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A web app's pages for browser specs: any path answers an empty HTML page, so that a page can be
// opened on any host name that resolves here (http://localhost:<port>, http://h5.example.test:<port>)
// and a redirect back to /cb lands somewhere. The specs run their fetch calls inside those pages.
export interface WebPageServer {
  port: number;
  close(): Promise<void>;
}

export async function startWebPageServer(): Promise<WebPageServer> {
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!DOCTYPE html><html><head><title>web app</title></head><body>${req.url === '/' ? 'home' : 'callback'}</body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Headless Chromium as the playground specs launch it; `*.example.test` resolves to 127.0.0.1. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--host-resolver-rules=MAP *.example.test 127.0.0.1',
];
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A port free right now, for an app whose configuration must name its own port (WECHAT_OPEN_BASE). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
