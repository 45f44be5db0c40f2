// Issue 18 (4), circuit-breaker poisoning, against the built service:
//   npm run build && node bench/attacks/breaker-poisoning.mjs [--seconds 40] [--users 30]
// Carrier one-tap through the standalone fake Dypnsapi (HTTPS). For --seconds, an attacker from its
// own address sends carrier tokens holding a lone UTF-16 surrogate (and other malformed ones) within
// the per-IP limit (25 a minute, CARRIER_PER_IP_PER_MINUTE is 30), while --users users, each from
// their own address (TRUST_PROXY=1, X-Forwarded-For), do one-tap logins every 3 s. Prints the users'
// answers, the attacker's, the carrier calls by outcome and the breaker gauge from /metrics.
// Bounded (< 90 s); exits 0 (it measures, it does not judge).
import { parseArgs } from 'node:util';
import { attackStack, hex, log, postJson, run, sleep, tally } from './attack-kit.mjs';

const { values: a } = parseArgs({ options: { seconds: { type: 'string', default: '40' }, users: { type: 'string', default: '30' } } });
const SECONDS = Number(a.seconds);
const USERS = Number(a.users);
const LOGIN = 'mutation C($input: CarrierLoginInput!) { carrierLogin(input: $input) { user { id } } }';
const MALFORMED = ['STS.\ud800abc', 'STS.abc\udfff', '\ud83d', 'STS.a\u0000b', 'STS.\u00e9t\u00e9'];

const { stack, service } = await attackStack('attack-breaker');
await run(stack, async () => {
  const key = { id: `LTAI${hex(8)}`, secret: hex(16) };
  const carrier = await stack.fakeCarrier(key.id, key.secret);
  const svc = await service({
    WECHAT_APPS: 'wxbreaker00000001:breakersecret00000000000000001',
    CARRIER_ACCESS_KEY_ID: key.id, CARRIER_ACCESS_KEY_SECRET: key.secret, CARRIER_ENDPOINT: carrier.httpsUrl,
    NODE_EXTRA_CA_CERTS: carrier.caFile, TRUST_PROXY: '1',
  });
  const from = (ip) => ({ 'x-forwarded-for': ip });
  const end = performance.now() + SECONDS * 1000;
  log(`attacker and ${USERS} users for ${SECONDS} s`);

  const attacker = [];
  const attack = (async () => {
    for (let i = 0; performance.now() < end; i++) {
      attacker.push((await svc.gql(LOGIN, { input: { token: MALFORMED[i % MALFORMED.length] } }, from('198.51.100.66'))).code);
      await sleep(60_000 / 25);
    }
  })();
  const users = [];
  const user = async (u) => {
    const phone = `1370${String(1e7 + u).slice(1)}`;
    await sleep(Math.random() * 3000);
    while (performance.now() < end) {
      const { token } = await postJson(`${carrier.url}/token`, { phone });
      users.push((await svc.gql(LOGIN, { input: { token } }, from(`203.0.113.${u + 1}`))).code);
      await sleep(3000);
    }
  };
  await Promise.all([attack, ...Array.from({ length: USERS }, (_, u) => user(u))]);

  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  const carrierCalls = Object.fromEntries(
    [...metrics.matchAll(/wechat_login_provider_calls_total\{provider="carrier",operation="getmobile",outcome="([^"]+)"\} (\d+)/g)]
      .map((m) => [m[1], Number(m[2])]),
  );
  const gauge = /wechat_login_provider_circuit_open\{provider="carrier"\} (\d)/.exec(metrics)?.[1];
  const userAnswers = tally(users);
  return {
    scenario: 'breaker poisoning (carrier one-tap)',
    seconds: SECONDS,
    users: { count: USERS, logins: users.length, succeeded: userAnswers.ok ?? 0, failed: users.length - (userAnswers.ok ?? 0), answers: userAnswers },
    attacker: { requests: attacker.length, answers: tally(attacker) },
    carrierCallsByOutcome: carrierCalls,
    carrierCircuitOpenAtEnd: gauge === undefined ? 'n/a' : gauge === '1',
  };
});
