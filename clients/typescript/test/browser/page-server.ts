// A static server for the app's login page and the SDK's browser build (dist/esm), on its own
// origin: http://localhost:<port>, while the service is at http://127.0.0.1:<other port>.
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

const packageDir = join(__dirname, '..', '..');
const esmDir = join(packageDir, 'dist', 'esm');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html; charset=utf-8' };

export async function startPageServer(): Promise<{ origin: string; close(): Promise<void> }> {
  if (!existsSync(join(esmDir, 'index.js')))
    throw new Error('dist/esm is missing: npm run build in clients/typescript');
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let file: string | null = null;
    if (path === '/login.html') file = join(__dirname, 'login-page.html');
    else if (path.startsWith('/sdk/')) {
      const inside = normalize(join(esmDir, path.slice('/sdk/'.length)));
      if (inside.startsWith(esmDir) && existsSync(inside)) file = inside;
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
