// HTTPS in front of the fake WeChat's plain HTTP port, for benches that run the service in production
// mode (which accepts only an https WECHAT_API_BASE). A throw-away self-signed certificate (openssl),
// written to --cert-out before the port opens; give it to the service through NODE_EXTRA_CA_CERTS.
//   node bench/support/tls-front.mjs --port N --upstream http://127.0.0.1:M --cert-out FILE
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: { port: { type: 'string' }, upstream: { type: 'string' }, 'cert-out': { type: 'string' } },
});
if (!a.port || !a.upstream || !a['cert-out']) {
  console.error('usage: node tls-front.mjs --port N --upstream http://127.0.0.1:M --cert-out FILE');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
let cert;
let key;
try {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  key = readFileSync(join(dir, 'key.pem'));
  copyFileSync(join(dir, 'cert.pem'), a['cert-out']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const upstream = new URL(a.upstream);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const server = https.createServer({ cert, key }, (req, res) => {
  const forward = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, agent, headers: { ...req.headers, host: upstream.host } },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(forward);
});
server.keepAliveTimeout = 10_000;
server.listen(Number(a.port), '127.0.0.1', () => console.log(`tls front https://127.0.0.1:${a.port} -> ${a.upstream}`));
const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
