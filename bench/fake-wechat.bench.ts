// Throughput of the fake WeChat server, which later benchmarks of the login flow lean on: if the fake
// is slow, those figures measure the fake. Prints figures; asserts nothing.
//   npm run bench -- fake-wechat [--seconds 5] [--concurrency 32]
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { FakeWechatServer } from '../src/sandbox/fake-wechat/fake-wechat';

const APP = { appId: 'wxbench000000001', secret: 'benchsecret00000000000000000001' };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '32' } },
    allowPositionals: true,
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const fake = new FakeWechatServer({ apps: [APP] });
  const base = await fake.listen(0);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

  const get = (path: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });

  // One login as the service does it: code exchange, then userinfo.
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const { code } = fake.authorize({ appid: APP.appId });
      const started = process.hrtime.bigint();
      const tokens = JSON.parse(
        await get(
          `/sns/oauth2/access_token?appid=${APP.appId}&secret=${APP.secret}&code=${code}&grant_type=authorization_code`,
        ),
      ) as { access_token?: string; openid?: string };
      if (!tokens.access_token) {
        failures++;
        continue;
      }
      await get(`/sns/userinfo?access_token=${tokens.access_token}&openid=${tokens.openid}`);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await fake.close();
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (p: number): string =>
    (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2);
  const logins = latencies.length;
  console.log(`fake WeChat: ${logins} logins (exchange + userinfo) in ${seconds}s with ${concurrency} workers`);
  console.log(
    `  ${(logins / seconds).toFixed(0)} logins/s, ${((logins * 2) / seconds).toFixed(0)} requests/s, failures ${failures}`,
  );
  console.log(`  latency per login ms: p50 ${pct(0.5)}  p90 ${pct(0.9)}  p99 ${pct(0.99)}  max ${pct(1)}`);
}

void main();
