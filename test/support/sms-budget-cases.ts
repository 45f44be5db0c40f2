import { CaptchaVerifier } from '../../src/captcha/captcha-verifier';
import { AppConfigValues, SmsLimits } from '../../src/config/app-config';
import { AppConfig } from '../../src/config/app-config.service';
import { DomainError } from '../../src/errors/domain-error';
import { HitCounter } from '../../src/rate-limits/hit-counter';
import { SendAttempt, SmsBudgetsService } from '../../src/sms/sms-budgets.service';

/** Accepts any `solved-…` token; single use is the budgets' own record, which is what is tested. */
class SolvedTokens extends CaptchaVerifier {
  readonly challenge = { provider: 'sandbox' as const, sceneId: 'scene', prefix: 'p' };
  readonly verified: string[] = [];
  async verify(token: string): Promise<boolean> {
    this.verified.push(token);
    return token.startsWith('solved-');
  }
}

// Every budget wide open, so that only the rule a case narrows can bind.
const OPEN: SmsLimits = {
  codeTtlSeconds: 300,
  resendSeconds: 60,
  phoneHardPerDay: 1000,
  maxAttempts: 5,
  maxForeignAttempts: 10,
  phoneKnownPerDay: 1000,
  verifyPerIpPerHour: 1000,
  verifyPerDevicePerHour: 1000,
  perPhonePerHour: 1000,
  perPhonePerDay: 1000,
  perIpPerMinute: 1000,
  perIpPerHour: 1000,
  perDevicePerHour: 1000,
  perDevicePerDay: 1000,
  prefixDigits: 3,
  perPrefixPerHour: 1000,
  perCountryPerHour: { '*': 1000 },
  globalPerHour: 1000,
};

type Outcome = 'sent' | 'CAPTCHA_REQUIRED' | 'SMS_RATE_LIMITED';
interface Step extends Partial<Omit<SendAttempt, 'knownSource'>> {
  /** Seconds to move the clock before this attempt. */
  after?: number;
  /** The caller is a device that has had a session of the phone's user. */
  known?: boolean;
  expect: Outcome;
}
interface BudgetCase {
  name: string;
  limits: Partial<SmsLimits>;
  captchaOff?: boolean;
  steps: Step[];
}

const A = '+8613800000001';
const B = '+8613800000002';
const C = '+8613800000003';
const D = '+8613900000004';
const HK = '+85291234567';

export const BUDGET_CASES: BudgetCase[] = [
  {
    name: 'cooldown: one code a minute per phone, a captcha does not skip it',
    limits: {},
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 30, expect: 'SMS_RATE_LIMITED' },
      { phone: A, captchaToken: 'solved-1', expect: 'SMS_RATE_LIMITED' },
      { phone: A, after: 31, expect: 'sent' },
    ],
  },
  {
    name: 'per phone an hour: past it a captcha, a solved one buys one send',
    limits: { perPhonePerHour: 2 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 61, expect: 'sent' },
      { phone: A, after: 61, expect: 'CAPTCHA_REQUIRED' },
      { phone: A, captchaToken: 'solved-2', expect: 'sent' },
      { phone: A, after: 61, expect: 'CAPTCHA_REQUIRED' },
      { phone: B, expect: 'sent' },
      { phone: A, after: 3600, expect: 'sent' },
    ],
  },
  {
    name: 'per phone a day',
    limits: { perPhonePerDay: 2 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 3600, expect: 'sent' },
      { phone: A, after: 3600, expect: 'CAPTCHA_REQUIRED' },
      { phone: A, after: 86400, expect: 'sent' },
    ],
  },
  {
    name: 'the hard daily cap per phone holds with captchas',
    limits: { perPhonePerHour: 1, phoneHardPerDay: 2 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 61, captchaToken: 'solved-3', expect: 'sent' },
      { phone: A, after: 61, captchaToken: 'solved-4', expect: 'SMS_RATE_LIMITED' },
      // The refused send did not spend that captcha.
      { phone: B, captchaToken: 'solved-4', expect: 'sent' },
      { phone: A, after: 86400, expect: 'sent' },
    ],
  },
  {
    name: 'the daily cap filled by strangers leaves a reserve to known sources only, with the same cooldown',
    limits: { perPhonePerHour: 1000, phoneHardPerDay: 2, phoneKnownPerDay: 2 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 61, expect: 'sent' },
      { phone: A, after: 61, expect: 'SMS_RATE_LIMITED' },
      { phone: A, captchaToken: 'solved-k1', expect: 'SMS_RATE_LIMITED' },
      { phone: A, known: true, expect: 'sent' },
      { phone: A, known: true, expect: 'SMS_RATE_LIMITED' },
      { phone: A, after: 61, expect: 'SMS_RATE_LIMITED' },
      { phone: A, known: true, expect: 'sent' },
      { phone: A, after: 61, known: true, expect: 'SMS_RATE_LIMITED' },
      { phone: A, after: 86400, expect: 'sent' },
    ],
  },
  {
    name: 'the reserve keeps the budgets: past them a known source pays a captcha too',
    limits: { perPhonePerDay: 2, phoneHardPerDay: 2, phoneKnownPerDay: 5 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 61, expect: 'sent' },
      { phone: A, after: 61, known: true, expect: 'CAPTCHA_REQUIRED' },
      { phone: A, known: true, captchaToken: 'solved-k2', expect: 'sent' },
    ],
  },
  {
    name: 'SMS_PHONE_KNOWN_PER_DAY=0: no reserve',
    limits: { phoneHardPerDay: 1, phoneKnownPerDay: 0 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 61, known: true, expect: 'SMS_RATE_LIMITED' },
    ],
  },
  {
    name: 'per IP a minute, other addresses untouched',
    limits: { perIpPerMinute: 2 },
    steps: [
      { phone: A, ip: '203.0.113.1', expect: 'sent' },
      { phone: B, ip: '203.0.113.1', expect: 'sent' },
      { phone: C, ip: '203.0.113.1', expect: 'CAPTCHA_REQUIRED' },
      { phone: C, ip: '203.0.113.2', expect: 'sent' },
      { phone: D, ip: '203.0.113.1', after: 61, expect: 'sent' },
    ],
  },
  {
    name: 'per IP an hour',
    limits: { perIpPerHour: 2 },
    steps: [
      { phone: A, ip: '203.0.113.1', expect: 'sent' },
      { phone: B, ip: '203.0.113.1', after: 600, expect: 'sent' },
      { phone: C, ip: '203.0.113.1', after: 600, expect: 'CAPTCHA_REQUIRED' },
      { phone: C, ip: '203.0.113.1', captchaToken: 'solved-5', expect: 'sent' },
    ],
  },
  {
    name: 'per device, whatever the address',
    limits: { perDevicePerHour: 2 },
    steps: [
      { phone: A, ip: '203.0.113.1', deviceId: 'device-1', expect: 'sent' },
      { phone: B, ip: '203.0.113.2', deviceId: 'device-1', expect: 'sent' },
      { phone: C, ip: '203.0.113.3', deviceId: 'device-1', expect: 'CAPTCHA_REQUIRED' },
      { phone: C, ip: '203.0.113.3', deviceId: 'device-2', expect: 'sent' },
    ],
  },
  {
    name: 'per number prefix (+86 138)',
    limits: { perPrefixPerHour: 2 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: B, expect: 'sent' },
      { phone: C, expect: 'CAPTCHA_REQUIRED' },
      { phone: D, expect: 'sent' },
    ],
  },
  {
    name: 'per country',
    limits: { perCountryPerHour: { CN: 2, '*': 1000 } },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: D, expect: 'sent' },
      { phone: C, expect: 'CAPTCHA_REQUIRED' },
      { phone: HK, expect: 'sent' },
    ],
  },
  {
    name: 'global: past it everyone needs a captcha',
    limits: { globalPerHour: 3 },
    steps: [
      { phone: A, ip: '203.0.113.1', expect: 'sent' },
      { phone: D, ip: '203.0.113.2', expect: 'sent' },
      { phone: HK, ip: '203.0.113.3', expect: 'sent' },
      { phone: B, ip: '203.0.113.4', expect: 'CAPTCHA_REQUIRED' },
      { phone: B, ip: '203.0.113.4', captchaToken: 'solved-6', expect: 'sent' },
    ],
  },
  {
    name: 'a captcha token passes once, and a wrong one never',
    limits: { perPhonePerHour: 1 },
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 61, captchaToken: 'solved-7', expect: 'sent' },
      { phone: A, after: 61, captchaToken: 'solved-7', expect: 'CAPTCHA_REQUIRED' },
      { phone: A, captchaToken: 'made-up', expect: 'CAPTCHA_REQUIRED' },
      { phone: A, captchaToken: 'solved-8', expect: 'sent' },
    ],
  },
  {
    name: 'SMS_CAPTCHA=off: past a budget the send is refused',
    limits: { perPhonePerHour: 1 },
    captchaOff: true,
    steps: [
      { phone: A, expect: 'sent' },
      { phone: A, after: 61, expect: 'SMS_RATE_LIMITED' },
      { phone: A, captchaToken: 'solved-9', expect: 'SMS_RATE_LIMITED' },
    ],
  },
];

export function budgetsFor(counter: HitCounter, limits: Partial<SmsLimits>, captchaOff = false) {
  const config = new AppConfig({ sms: { limits: { ...OPEN, ...limits } } } as unknown as AppConfigValues);
  const captcha = new SolvedTokens();
  return { budgets: new SmsBudgetsService(counter, config, captchaOff ? null : captcha), captcha };
}

async function outcomeOf(run: Promise<unknown>): Promise<Outcome | string> {
  try {
    await run;
    return 'sent';
  } catch (error) {
    return error instanceof DomainError ? error.code : String(error);
  }
}

/** The budgets table on one counter implementation; each case on its own stretch of time. */
export function describeSmsBudgets(
  label: string,
  open: () => Promise<{ counter: HitCounter; close(): Promise<void> }>,
) {
  describe(`SMS budgets on ${label}`, () => {
    let counter: HitCounter;
    let close: () => Promise<void>;
    let epoch = Date.UTC(2030, 0, 1);

    beforeAll(async () => {
      ({ counter, close } = await open());
    });

    afterAll(async () => {
      await close();
    });

    it.each(BUDGET_CASES.map((c) => [c.name, c] as const))('%s', async (_name, budgetCase) => {
      // Ten days apart: no window of one case reaches another.
      epoch += 10 * 86400_000;
      let now = epoch;
      const { budgets } = budgetsFor(counter, budgetCase.limits, budgetCase.captchaOff);
      const seen: { step: number; outcome: string }[] = [];
      for (const [i, step] of budgetCase.steps.entries()) {
        now += (step.after ?? 0) * 1000;
        const { known, ...fields } = step;
        const attempt: SendAttempt = { ip: null, phone: A, ...fields, knownSource: async () => known === true };
        seen.push({ step: i, outcome: await outcomeOf(budgets.admit(attempt, now)) });
      }
      expect(seen).toEqual(budgetCase.steps.map((step, i) => ({ step: i, outcome: step.expect })));
    });

    it('twenty racing sends to one phone: exactly one passes the cooldown', async () => {
      epoch += 10 * 86400_000;
      const { budgets } = budgetsFor(counter, {});
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          outcomeOf(budgets.admit({ phone: A, ip: `198.51.100.${i}`, deviceId: `d${i}` }, epoch + i)),
        ),
      );
      expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
      expect(new Set(outcomes.filter((o) => o !== 'sent'))).toEqual(new Set(['SMS_RATE_LIMITED']));
    });

    it('wrong codes past the budget of an IP or a device: each further try costs a solved captcha', async () => {
      epoch += 10 * 86400_000;
      const { budgets } = budgetsFor(counter, { verifyPerIpPerHour: 3, verifyPerDevicePerHour: 2 });
      const tryFrom = (ip: string, deviceId?: string, captchaToken?: string) =>
        outcomeOf(budgets.admitVerification({ ip, deviceId, captchaToken }, epoch));
      for (let i = 0; i < 3; i++) {
        expect(await tryFrom('203.0.113.7')).toBe('sent');
        await budgets.recordWrongCode({ ip: '203.0.113.7' }, epoch);
      }
      expect(await tryFrom('203.0.113.7')).toBe('CAPTCHA_REQUIRED');
      expect(await tryFrom('203.0.113.7', undefined, 'solved-v1')).toBe('sent');
      expect(await tryFrom('203.0.113.7', undefined, 'solved-v1')).toBe('CAPTCHA_REQUIRED');
      expect(await tryFrom('203.0.113.8')).toBe('sent');
      // A device's budget follows it from address to address.
      await budgets.recordWrongCode({ ip: '198.51.100.1', deviceId: 'guesser' }, epoch);
      await budgets.recordWrongCode({ ip: '198.51.100.2', deviceId: 'guesser' }, epoch);
      expect(await tryFrom('198.51.100.3', 'guesser')).toBe('CAPTCHA_REQUIRED');
      expect(await tryFrom('198.51.100.3', 'other-device')).toBe('sent');
      // An hour (and the counters' one-minute slot) later the budgets are whole again.
      epoch += 3661_000;
      expect(await tryFrom('203.0.113.7')).toBe('sent');
      expect(await tryFrom('198.51.100.3', 'guesser')).toBe('sent');
    });

    it('one captcha token raced by ten sends buys exactly one', async () => {
      epoch += 10 * 86400_000;
      const { budgets } = budgetsFor(counter, { perPhonePerHour: 1 });
      const phones = Array.from({ length: 10 }, (_, i) => `+861370000${String(i).padStart(4, '0')}`);
      for (const phone of phones) await budgets.admit({ phone, ip: null }, epoch);
      const outcomes = await Promise.all(
        phones.map((phone) =>
          outcomeOf(budgets.admit({ phone, ip: null, captchaToken: 'solved-race' }, epoch + 61_000)),
        ),
      );
      expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
      expect(new Set(outcomes.filter((o) => o !== 'sent'))).toEqual(new Set(['CAPTCHA_REQUIRED']));
    });
  });
}
