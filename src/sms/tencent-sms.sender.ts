import type { AppConfigValues } from '../config/app-config';
import { SmsDeliveryError, SmsMessage, SmsSender } from './sms-sender';

type TencentSettings = NonNullable<AppConfigValues['sms']['tencent']>;

/** The part of Tencent Cloud's SMS client we use: the boundary tests stand in for. */
export interface TencentSmsClient {
  SendSms(request: {
    PhoneNumberSet: string[];
    SmsSdkAppId: string;
    SignName: string;
    TemplateId: string;
    TemplateParamSet: string[];
  }): Promise<{ SendStatusSet?: { Code?: string; Message?: string }[] }>;
}

export function createTencentClient(settings: TencentSettings): TencentSmsClient {
  // Tencent's SDK is required on first use, not at start: only SMS_PROVIDER=tencent needs it.
  const { sms } = require('tencentcloud-sdk-nodejs-sms') as typeof import('tencentcloud-sdk-nodejs-sms');
  return new sms.v20210111.Client({
    credential: { secretId: settings.secretId, secretKey: settings.secretKey },
    region: settings.region,
    profile: { httpProfile: { reqTimeout: 5 } },
  }) as unknown as TencentSmsClient;
}

/** Tencent Cloud SMS through its official SDK. The template takes {1} = code, {2} = minutes valid. */
export class TencentSmsSender extends SmsSender {
  readonly name = 'tencent';

  constructor(
    private readonly settings: TencentSettings,
    private readonly client: TencentSmsClient = createTencentClient(settings),
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    let status: { Code?: string } | undefined;
    try {
      const response = await this.client.SendSms({
        PhoneNumberSet: [message.phone],
        SmsSdkAppId: this.settings.sdkAppId,
        SignName: this.settings.signName,
        TemplateId: this.settings.templateId,
        TemplateParamSet: [message.code, String(Math.round(message.ttlSeconds / 60))],
      });
      status = response.SendStatusSet?.[0];
    } catch (error) {
      throw new SmsDeliveryError(this.name, errorCodeOf(error));
    }
    if (status?.Code !== 'Ok') throw new SmsDeliveryError(this.name, status?.Code ?? 'no status');
  }
}

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'request failed';
}
