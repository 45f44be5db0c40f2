import { createHmac } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Clock } from '../common/clock';
import { SmsOutbox } from '../sandbox/sms-outbox';
import { AliyunSmsClient, AliyunSmsSender } from './aliyun-sms.sender';
import { ConsoleSmsSender } from '../sandbox/console-sms.sender';
import { SmsDeliveryError, SmsMessage } from './sms-sender';
import { TencentSmsClient, TencentSmsSender } from './tencent-sms.sender';
import { WebhookSmsSender } from './webhook-sms.sender';

const message: SmsMessage = { phone: '+8613800138000', code: '042137', purpose: 'LOGIN', ttlSeconds: 300 };

describe('WebhookSmsSender (against a local HTTP server)', () => {
  let server: Server;
  let url: string;
  let received: { headers: IncomingMessage['headers']; body: string }[];
  let respond: (res: import('node:http').ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        respond(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
    respond = (res) => res.end('ok');
  });

  it('POSTs the message as JSON with an HMAC signature over timestamp and body', async () => {
    await new WebhookSmsSender(url, 'shared-secret').send(message);
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received;
    expect(JSON.parse(body)).toEqual({ phone: '+8613800138000', code: '042137', purpose: 'LOGIN', ttlSeconds: 300 });
    expect(headers['content-type']).toBe('application/json');
    const expected = createHmac('sha256', 'shared-secret').update(`${headers['x-timestamp']}.${body}`).digest('hex');
    expect(headers['x-signature']).toBe(`sha256=${expected}`);
  });

  it('sends one after another over one kept-alive connection', async () => {
    let connections = 0;
    const count = () => (connections += 1);
    server.on('connection', count);
    try {
      const sender = new WebhookSmsSender(url, 'shared-secret');
      for (let i = 0; i < 3; i++) await sender.send(message);
    } finally {
      server.off('connection', count);
    }
    expect(received).toHaveLength(3);
    expect(connections).toBe(1);
  });

  it('fails on a non-2xx answer, without the code or number in the error', async () => {
    respond = (res) => {
      res.statusCode = 502;
      res.end('bad gateway');
    };
    const error = await new WebhookSmsSender(url, 's').send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect((error as Error).message).toBe('webhook SMS delivery failed: HTTP 502');
  });

  it('gives up after its timeout', async () => {
    respond = (res) => setTimeout(() => res.end('late'), 500);
    const error = await new WebhookSmsSender(url, 's', 100).send(message).catch((e: unknown) => e);
    expect((error as Error).message).toBe('webhook SMS delivery failed: timeout');
  });

  it('fails when the gateway cannot be reached', async () => {
    const error = await new WebhookSmsSender('http://127.0.0.1:1/sms', 's').send(message).catch((e: unknown) => e);
    expect((error as Error).message).toBe('webhook SMS delivery failed: unreachable');
  });
});

describe('TencentSmsSender (at the SDK boundary)', () => {
  const settings = {
    secretId: 'id',
    secretKey: 'key',
    sdkAppId: '1400000000',
    signName: '某某科技',
    templateId: '123456',
    region: 'ap-guangzhou',
  };

  it('sends the code and lifetime in minutes through SendSms', async () => {
    const SendSms = jest
      .fn<ReturnType<TencentSmsClient['SendSms']>, Parameters<TencentSmsClient['SendSms']>>()
      .mockResolvedValue({
        SendStatusSet: [{ Code: 'Ok' }],
      });
    await new TencentSmsSender(settings, { SendSms }).send(message);
    expect(SendSms).toHaveBeenCalledWith({
      PhoneNumberSet: ['+8613800138000'],
      SmsSdkAppId: '1400000000',
      SignName: '某某科技',
      TemplateId: '123456',
      TemplateParamSet: ['042137', '5'],
    });
  });

  it('fails when Tencent reports a status other than Ok, or the call throws', async () => {
    const refused = new TencentSmsSender(settings, {
      SendSms: async () => ({ SendStatusSet: [{ Code: 'LimitExceeded.PhoneNumberDailyLimit' }] }),
    });
    await expect(refused.send(message)).rejects.toThrow(
      'tencent SMS delivery failed: LimitExceeded.PhoneNumberDailyLimit',
    );
    const broken = new TencentSmsSender(settings, {
      SendSms: async () => {
        throw Object.assign(new Error('x'), { code: 'AuthFailure.SecretIdNotFound' });
      },
    });
    await expect(broken.send(message)).rejects.toThrow('tencent SMS delivery failed: AuthFailure.SecretIdNotFound');
  });

  it('builds a real SDK client from the settings', () => {
    expect(() => new TencentSmsSender(settings)).not.toThrow();
  });
});

describe('AliyunSmsSender (at the SDK boundary)', () => {
  const settings = {
    accessKeyId: 'id',
    accessKeySecret: 'secret',
    signName: '阿里云短信测试',
    templateCode: 'SMS_154950909',
  };

  it('sends the national number and the code as template JSON through sendSms', async () => {
    const sendSms = jest
      .fn<ReturnType<AliyunSmsClient['sendSms']>, Parameters<AliyunSmsClient['sendSms']>>()
      .mockResolvedValue({
        body: { code: 'OK' },
      });
    await new AliyunSmsSender(settings, { sendSms }).send(message);
    expect(sendSms).toHaveBeenCalledTimes(1);
    const request = sendSms.mock.calls[0][0];
    expect({ ...request }).toEqual(
      expect.objectContaining({
        phoneNumbers: '13800138000',
        signName: '阿里云短信测试',
        templateCode: 'SMS_154950909',
        templateParam: '{"code":"042137"}',
      }),
    );
  });

  it('fails when Aliyun answers anything but OK', async () => {
    const refused = new AliyunSmsSender(settings, {
      sendSms: async () => ({ body: { code: 'isv.BUSINESS_LIMIT_CONTROL' } }),
    });
    await expect(refused.send(message)).rejects.toThrow('aliyun SMS delivery failed: isv.BUSINESS_LIMIT_CONTROL');
  });

  it('builds a real SDK client from the settings', () => {
    expect(() => new AliyunSmsSender(settings)).not.toThrow();
  });
});

describe('ConsoleSmsSender', () => {
  it('keeps the message in the outbox, newest first', async () => {
    const outbox = new SmsOutbox();
    const sender = new ConsoleSmsSender(outbox, new Clock(), false);
    await sender.send(message);
    await sender.send({ ...message, code: '999999' });
    expect(outbox.list('+8613800138000').map((m) => m.code)).toEqual(['999999', '042137']);
    expect(outbox.latestCode('+8613900000000')).toBeUndefined();
  });
});
