import { bool, defineVariables, EnvReader, oneOf, safeUrl, secret, text } from '../env-reader';
import { readSmsLimits, type SmsLimits } from './limits.config';

// Who delivers SMS codes: the console (sandbox only), a webhook of our own, Tencent Cloud or Alibaba
// Cloud. A provider's settings are required only when that provider is chosen.

export type SmsProvider = 'console' | 'webhook' | 'tencent' | 'aliyun';

export const SMS_VARIABLES = defineVariables({
  SMS_PROVIDER: oneOf('console (sandbox only) | webhook | tencent | aliyun', [
    'console',
    'webhook',
    'tencent',
    'aliyun',
  ]),
  SMS_CONSOLE_LOG_CODES: bool('console provider: also print codes to the log (default true)', true),
  SMS_WEBHOOK_URL: text('webhook provider: the gateway URL that receives JSON'),
  SMS_WEBHOOK_SECRET: secret('webhook provider: HMAC-SHA256 signing secret'),
  TENCENT_SMS_SECRET_ID: secret('tencent provider: API SecretId'),
  TENCENT_SMS_SECRET_KEY: secret('tencent provider: API SecretKey'),
  TENCENT_SMS_SDK_APP_ID: text('tencent provider: SmsSdkAppId'),
  TENCENT_SMS_SIGN_NAME: text('tencent provider: approved signature'),
  TENCENT_SMS_TEMPLATE_ID: text('tencent provider: approved template id'),
  TENCENT_SMS_REGION: text('tencent provider: API region (default ap-guangzhou)', 'ap-guangzhou'),
  ALIYUN_SMS_ACCESS_KEY_ID: secret('aliyun provider: AccessKey id'),
  ALIYUN_SMS_ACCESS_KEY_SECRET: secret('aliyun provider: AccessKey secret'),
  ALIYUN_SMS_SIGN_NAME: text('aliyun provider: approved signature'),
  ALIYUN_SMS_TEMPLATE_CODE: text('aliyun provider: approved template code'),
});
const V = SMS_VARIABLES;

export interface SmsSettings {
  provider: SmsProvider;
  consoleLogCodes: boolean;
  limits: SmsLimits;
  webhook?: { url: string; secret: string };
  tencent?: {
    secretId: string;
    secretKey: string;
    sdkAppId: string;
    signName: string;
    templateId: string;
    region: string;
  };
  aliyun?: { accessKeyId: string; accessKeySecret: string; signName: string; templateCode: string };
}

export function readSms(reader: EnvReader, production: boolean): SmsSettings {
  const problems = reader.problems;
  const common = { consoleLogCodes: reader.bool(V.SMS_CONSOLE_LOG_CODES), limits: readSmsLimits(reader) };
  const provider = reader.enum(V.SMS_PROVIDER);
  if (provider === undefined) {
    if (production) problems.push('SMS_PROVIDER: required in production (webhook, tencent or aliyun)');
    return { provider: 'console', ...common };
  }
  if (provider === 'console' && production) {
    problems.push('SMS_PROVIDER: console prints codes to the log and is for the sandbox only');
  }
  const need = (variable: (typeof V)[keyof typeof V]): string => {
    const value = reader.string(variable);
    if (value === undefined) problems.push(`${variable.name}: required when SMS_PROVIDER=${provider}`);
    return value ?? '';
  };
  switch (provider) {
    case 'console':
      return { provider, ...common };
    case 'webhook': {
      const url = need(V.SMS_WEBHOOK_URL);
      if (url && !safeUrl(url)) problems.push('SMS_WEBHOOK_URL: must be a URL');
      return { provider, ...common, webhook: { url, secret: need(V.SMS_WEBHOOK_SECRET) } };
    }
    case 'tencent':
      return {
        provider,
        ...common,
        tencent: {
          secretId: need(V.TENCENT_SMS_SECRET_ID),
          secretKey: need(V.TENCENT_SMS_SECRET_KEY),
          sdkAppId: need(V.TENCENT_SMS_SDK_APP_ID),
          signName: need(V.TENCENT_SMS_SIGN_NAME),
          templateId: need(V.TENCENT_SMS_TEMPLATE_ID),
          region: reader.text(V.TENCENT_SMS_REGION),
        },
      };
    case 'aliyun':
      return {
        provider,
        ...common,
        aliyun: {
          accessKeyId: need(V.ALIYUN_SMS_ACCESS_KEY_ID),
          accessKeySecret: need(V.ALIYUN_SMS_ACCESS_KEY_SECRET),
          signName: need(V.ALIYUN_SMS_SIGN_NAME),
          templateCode: need(V.ALIYUN_SMS_TEMPLATE_CODE),
        },
      };
  }
}
