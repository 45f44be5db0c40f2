import type { SendSmsRequest } from '@alicloud/dysmsapi20170525';
import type { AppConfigValues } from '../config/app-config';
import { SmsDeliveryError, SmsMessage, SmsSender } from './sms-sender';

// Alibaba's SDK (and its OpenAPI core) is required on first use, not at start: only SMS_PROVIDER=aliyun needs it.
const dysmsapi = (): typeof import('@alicloud/dysmsapi20170525') => require('@alicloud/dysmsapi20170525');
const openApi = (): typeof import('@alicloud/openapi-core') => require('@alicloud/openapi-core');

type AliyunSettings = NonNullable<AppConfigValues['sms']['aliyun']>;

/** The part of Alibaba Cloud's SMS client we use: the boundary tests stand in for. */
export interface AliyunSmsClient {
  sendSms(request: SendSmsRequest): Promise<{ body?: { code?: string; message?: string } }>;
}

export function createAliyunClient(settings: AliyunSettings): AliyunSmsClient {
  const config = new (openApi().$OpenApiUtil.Config)({
    accessKeyId: settings.accessKeyId,
    accessKeySecret: settings.accessKeySecret,
    endpoint: 'dysmsapi.aliyuncs.com',
    readTimeout: 5000,
    connectTimeout: 3000,
  });
  return new (dysmsapi().default)(config) as unknown as AliyunSmsClient;
}

/** Alibaba Cloud SMS through its official SDK. The template takes ${code}. */
export class AliyunSmsSender extends SmsSender {
  readonly name = 'aliyun';

  constructor(
    private readonly settings: AliyunSettings,
    private readonly client: AliyunSmsClient = createAliyunClient(settings),
  ) {
    super();
  }

  async send(message: SmsMessage): Promise<void> {
    let code: string | undefined;
    try {
      const response = await this.client.sendSms(
        new (dysmsapi().SendSmsRequest)({
          // Mainland numbers go without the country code; others as digits with it.
          phoneNumbers: message.phone.startsWith('+86') ? message.phone.slice(3) : message.phone.slice(1),
          signName: this.settings.signName,
          templateCode: this.settings.templateCode,
          templateParam: JSON.stringify({ code: message.code }),
        }),
      );
      code = response.body?.code;
    } catch (error) {
      const reason = (error as { code?: unknown })?.code;
      throw new SmsDeliveryError(this.name, typeof reason === 'string' ? reason : 'request failed');
    }
    if (code !== 'OK') throw new SmsDeliveryError(this.name, code ?? 'no status');
  }
}
