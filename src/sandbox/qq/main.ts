// The fake QQ Connect server as its own process:
//   node dist/src/sandbox/qq/main.js --port 4204 [--app 101000001:AppKey[:domain,domain]] ...
// Without --app it serves the sandbox apps (SANDBOX_QQ). Point the QQ client's API base at the URL it prints.
import { parseArgs } from 'node:util';
import { FakeQqApp, FakeQqServer, SANDBOX_QQ } from './fake-qq';

function parseApp(spec: string): FakeQqApp {
  const [appId, appKey, domains] = spec.split(':');
  if (!appId || !appKey) throw new Error(`--app must be appId:appKey[:domain,domain], got ${spec}`);
  return { appId, appKey, ...(domains ? { redirectDomains: domains.split(',') } : {}) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4204' },
      host: { type: 'string', default: '127.0.0.1' },
      app: { type: 'string', multiple: true },
    },
  });
  const apps = values.app ? values.app.map(parseApp) : SANDBOX_QQ.apps;
  const fake = new FakeQqServer({ apps });
  const url = await fake.listen(Number(values.port), values.host);
  process.stdout.write(`fake QQ Connect listening on ${url} (apps ${apps.map((a) => a.appId).join(', ')})\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
