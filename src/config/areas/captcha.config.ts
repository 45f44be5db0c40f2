import { bool, defineVariables, EnvReader, oneOf, safeUrl, secret, text } from '../env-reader';

// The captcha asked over an SMS budget: Alibaba Cloud Captcha 2.0 in production, the sandbox's own fake
// otherwise; off, an over-budget send is refused outright.

export const CAPTCHA_VARIABLES = defineVariables({
  SMS_CAPTCHA: bool(
    'on (default): over a budget, a captcha; off: over a budget, SMS_RATE_LIMITED (production needs it said)',
    true,
  ),
  CAPTCHA_PROVIDER: oneOf('aliyun (required in production unless SMS_CAPTCHA=off) or sandbox', ['aliyun', 'sandbox']),
  ALIYUN_CAPTCHA_ACCESS_KEY_ID: secret('aliyun captcha: AccessKey id'),
  ALIYUN_CAPTCHA_ACCESS_KEY_SECRET: secret('aliyun captcha: AccessKey secret'),
  ALIYUN_CAPTCHA_SCENE_ID: text('aliyun captcha: the scene id (also sent to the client)'),
  ALIYUN_CAPTCHA_PREFIX: text('aliyun captcha: the identity prefix (sent to the client)'),
  ALIYUN_CAPTCHA_REGION: oneOf('aliyun captcha: the client region, cn or sgp (default cn)', ['cn', 'sgp']),
  ALIYUN_CAPTCHA_ENDPOINT: text(
    'aliyun captcha: verification host or URL (default captcha.cn-shanghai.aliyuncs.com)',
    'captcha.cn-shanghai.aliyuncs.com',
  ),
});
const V = CAPTCHA_VARIABLES;

/** Alibaba Cloud Captcha 2.0: the server verifies with the SDK, the client loads the scene. */
export interface AliyunCaptchaSettings {
  accessKeyId: string;
  accessKeySecret: string;
  sceneId: string;
  /** The account's identity prefix, which the client SDK needs. */
  prefix: string;
  /** The client SDK's region: cn (mainland) or sgp. */
  region: string;
  /** Host of the verification API, or a full http(s) URL (a fake in tests). */
  endpoint: string;
}

/** null: SMS_CAPTCHA=off (over a budget, a send is refused with SMS_RATE_LIMITED). */
export type CaptchaSettings = { provider: 'aliyun'; aliyun: AliyunCaptchaSettings } | { provider: 'sandbox' } | null;

export function readCaptcha(reader: EnvReader, production: boolean): CaptchaSettings {
  const problems = reader.problems;
  const enabled = reader.bool(V.SMS_CAPTCHA);
  const provider = reader.enum(V.CAPTCHA_PROVIDER);
  if (!enabled) return null;
  if (provider === undefined || provider === 'sandbox') {
    if (!production) return { provider: 'sandbox' };
    // Without a provider, production refuses over-budget sends outright (SMS_RATE_LIMITED): the
    // stricter side, announced at boot (CaptchaModule) so the operator knows the owner can be locked out.
    if (provider === 'sandbox') problems.push('CAPTCHA_PROVIDER: sandbox is a fake and is refused in production');
    return null;
  }
  const need = (variable: (typeof V)[keyof typeof V]): string => {
    const value = reader.string(variable);
    if (value === undefined) problems.push(`${variable.name}: required when CAPTCHA_PROVIDER=aliyun`);
    return value ?? '';
  };
  const endpoint = reader.text(V.ALIYUN_CAPTCHA_ENDPOINT);
  if (/^https?:/i.test(endpoint) && !safeUrl(endpoint))
    problems.push('ALIYUN_CAPTCHA_ENDPOINT: a host or an http(s) URL');
  return {
    provider,
    aliyun: {
      accessKeyId: need(V.ALIYUN_CAPTCHA_ACCESS_KEY_ID),
      accessKeySecret: need(V.ALIYUN_CAPTCHA_ACCESS_KEY_SECRET),
      sceneId: need(V.ALIYUN_CAPTCHA_SCENE_ID),
      prefix: need(V.ALIYUN_CAPTCHA_PREFIX),
      region: reader.enum(V.ALIYUN_CAPTCHA_REGION) ?? 'cn',
      endpoint,
    },
  };
}
