import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppConfig } from '../../config/app-config.service';
import { PLAYGROUND_SCRIPT } from './playground.client';

/**
 * The GraphQL playground: GraphiQL, served from the npm packages themselves (no CDN: mainland
 * networks often block them). `GET /graphql` with `Accept: text/html` returns the page; its assets
 * live under /playground/. An admin signs in on the page by phone and SMS code; its script puts the
 * access token on GraphiQL's requests and refreshes it (playground.client.ts). Production answers
 * introspection to admins only.
 */
// The packages' "exports" hide these prebuilt files from require.resolve; their folders do not.
const packageFile = (name: string, file: string): string =>
  join(dirname(require.resolve(`${name}/package.json`)), file);

const ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': { file: packageFile('react', 'umd/react.production.min.js'), type: 'application/javascript' },
  'react-dom.js': { file: packageFile('react-dom', 'umd/react-dom.production.min.js'), type: 'application/javascript' },
  'graphiql.js': { file: packageFile('graphiql', 'graphiql.min.js'), type: 'application/javascript' },
  'graphiql.css': { file: packageFile('graphiql', 'graphiql.min.css'), type: 'text/css' },
};

const STYLE = [
  'html, body, #graphiql { height: 100%; margin: 0; }',
  '#graphiql { display: flex; flex-direction: column; }',
  '.wl-graphiql { flex: 1; min-height: 0; }',
  '.wl-bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; padding: 6px 12px; font: 14px system-ui, sans-serif; border-bottom: 1px solid #ddd; }',
  '.wl-bar input { padding: 4px 6px; }',
  '.wl-hint, .wl-message { color: #555; }',
].join(' ');

// Only the mode and, in the sandbox, the default admin phone reach the page (never in production).
function page(sandbox: boolean, adminPhone: string): string {
  const attr = (v: string): string => v.replace(/[^+0-9A-Za-z_-]/g, '');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>wechat-login · GraphQL playground</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="wechat-login-mode" content="${sandbox ? 'sandbox' : 'production'}">
  <meta name="wechat-login-admin-phone" content="${sandbox ? attr(adminPhone) : ''}">
  <link rel="stylesheet" href="/playground/graphiql.css">
  <style>${STYLE}</style>
</head>
<body>
  <div id="graphiql">Loading the playground…</div>
  <script src="/playground/react.js"></script>
  <script src="/playground/react-dom.js"></script>
  <script src="/playground/graphiql.js"></script>
  <script src="/playground/playground.js"></script>
</body>
</html>`;
}

// Scripts only from us; GraphiQL needs inline styles and data: fonts.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function mountPlayground(app: NestExpressApplication): void {
  const config = app.get(AppConfig);
  const PAGE = page(config.isSandbox, config.get('adminPhones')[0] ?? '');
  const cache = new Map<string, Buffer>();
  app.use('/playground/:asset', (req: Request, res: Response, next: NextFunction) => {
    const name = String(req.params.asset);
    if (req.method !== 'GET') return next();
    if (name === 'playground.js') {
      res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(PLAYGROUND_SCRIPT);
      return;
    }
    const asset = ASSETS[name];
    if (!asset) return next();
    let body = cache.get(asset.file);
    if (!body) {
      body = readFileSync(asset.file);
      cache.set(asset.file, body);
    }
    res.setHeader('Content-Type', `${asset.type}; charset=utf-8`);
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(body);
  });
  app.use('/graphql', (req: Request, res: Response, next: NextFunction) => {
    if (
      req.method !== 'GET' ||
      req.path !== '/' ||
      !req.accepts(['application/json', 'text/html']) ||
      req.accepts(['application/json', 'text/html']) !== 'text/html'
    ) {
      return next();
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    res.end(PAGE);
  });
}
