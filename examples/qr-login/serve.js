// Serves the example page and its one library: `node examples/qr-login/serve.js [port]`, then open
// http://localhost:<port>/?service=http://127.0.0.1:3000 (the sandbox allows localhost pages).
const { createServer } = require('node:http');
const { readFile } = require('node:fs/promises');
const { join } = require('node:path');

const FILES = {
  '/': [join(__dirname, 'index.html'), 'text/html; charset=utf-8'],
  '/qr-login.js': [join(__dirname, 'qr-login.js'), 'text/javascript; charset=utf-8'],
  '/vendor/qrcode.mjs': [
    require.resolve('qrcode-generator').replace(/qrcode\.js$/, 'qrcode.mjs'),
    'text/javascript; charset=utf-8',
  ],
};

function startExampleServer(port = 0, host = '127.0.0.1') {
  const server = createServer(async (req, res) => {
    const file = FILES[new URL(req.url, 'http://x').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[1] }).end(await readFile(file[0]));
  });
  return new Promise((resolve) =>
    server.listen(port, host, () =>
      resolve({
        port: server.address().port,
        close: () => new Promise((done) => (server.closeAllConnections(), server.close(() => done()))),
      }),
    ),
  );
}

module.exports = { startExampleServer };

if (require.main === module) {
  startExampleServer(Number(process.argv[2] ?? 8080)).then(({ port }) =>
    process.stdout.write(`QR login example: http://localhost:${port}/?service=http://127.0.0.1:3000\n`),
  );
}
