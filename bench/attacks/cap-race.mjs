// Issue 18 (3), the mini-program phone cap under concurrency, against the built service:
//   npm run build && node bench/attacks/cap-race.mjs [--parallel 20] [--cap 3]
// Two mini programs on the standalone fake WeChat (HTTPS), WECHAT_PHONE_DAILY_CAP=--cap each.
//   A: one bind uses one of the cap; then --parallel new users bind by the phone button at once.
//   B: one new user's bind ticket is sent with --parallel phone codes at once.
// Prints the getuserphonenumber calls the fake received (what WeChat would bill) against the cap, and
// the answers. Bounded (< 90 s); exits 0 (it measures, it does not judge).
import { parseArgs } from 'node:util';
import { attackStack, gql, hex, log, postJson, run, tally } from './attack-kit.mjs';

const { values: a } = parseArgs({ options: { parallel: { type: 'string', default: '20' }, cap: { type: 'string', default: '3' } } });
const N = Number(a.parallel);
const CAP = Number(a.cap);
const MINI_LOGIN = 'mutation M($input: MiniProgramLoginInput!) { wechatMiniProgramLogin(input: $input) { isBind bindTicket } }';
const BIND = 'mutation P($input: MiniProgramBindPhoneInput!) { wechatMiniProgramBindPhone(input: $input) { user { id } } }';

const { stack, service } = await attackStack('attack-cap-race');
await run(stack, async () => {
  const A = { id: `wxcapa${hex(5)}`, secret: hex(16) };
  const B = { id: `wxcapb${hex(5)}`, secret: hex(16) };
  const fake = await stack.fakeWechat([A, B].map((x) => ({ id: `mini_program:${x.id}`, secret: x.secret })));
  const svc = await service({
    WECHAT_APPS: [A, B].map((x) => `mini_program:${x.id}:${x.secret}`).join(','),
    WECHAT_API_BASE: fake.httpsUrl, NODE_EXTRA_CA_CERTS: fake.caFile,
    WECHAT_PHONE_DAILY_CAP: String(CAP), THROTTLE_PUBLIC_PER_MINUTE: '1000000',
  });
  let serial = 0;
  const ticket = async (app, person) => {
    const { code } = await postJson(`${fake.url}/miniprogram/login`, { appid: app.id, person });
    const res = await svc.gql(MINI_LOGIN, { input: { code, appId: app.id } });
    if (!res.data) throw new Error(`mini-program login: ${res.code}`);
    return res.data.wechatMiniProgramLogin.bindTicket;
  };
  const phoneCode = async (app, person) =>
    (await postJson(`${fake.url}/miniprogram/phone`, { appid: app.id, person, phone: `1391${String(1e7 + ++serial).slice(1)}` })).phoneCode;
  const billed = async (app) => {
    const { calls } = await (await fetch(`${fake.url}/calls?endpoint=getuserphonenumber`)).json();
    return calls.filter((c) => c.appid === app.id).length;
  };

  // A: the cap, one used, then N at once.
  const first = await ticket(A, 'a-first');
  const used = await gql(svc.url, BIND, { input: { bindTicket: first, phoneCode: await phoneCode(A, 'a-first') } });
  const people = Array.from({ length: N }, (_, i) => `a-${i}`);
  const tickets = await Promise.all(people.map((p) => ticket(A, p)));
  const codes = await Promise.all(people.map((p) => phoneCode(A, p)));
  const beforeA = await billed(A);
  log(`A: ${N} parallel binds, cap ${CAP}, ${beforeA} used`);
  const answersA = await Promise.all(tickets.map((t, i) => svc.gql(BIND, { input: { bindTicket: t, phoneCode: codes[i] } })));
  const callsA = (await billed(A)) - beforeA;

  // B: one ticket, N phone codes at once.
  const one = await ticket(B, 'b-one');
  const codesB = await Promise.all(Array.from({ length: N }, () => phoneCode(B, 'b-one')));
  log(`B: one ticket with ${N} phone codes at once`);
  const answersB = await Promise.all(codesB.map((c) => svc.gql(BIND, { input: { bindTicket: one, phoneCode: c } })));
  const callsB = await billed(B);

  return {
    scenario: 'cap race (mini-program phone button)',
    cap: CAP,
    parallelBinds: {
      usedBefore: beforeA, firstBind: used.code ?? 'ok', billedCalls: callsA, allowedAtMost: CAP - beforeA,
      totalBilledToday: beforeA + callsA, answers: tally(answersA.map((r) => r.code)),
    },
    oneTicketManyCodes: { codes: N, billedCalls: callsB, allowedAtMost: 1, answers: tally(answersB.map((r) => r.code)) },
  };
});
