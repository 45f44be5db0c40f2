import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { GraphQLSchemaHost, RESOLVER_NAME_METADATA, RESOLVER_TYPE_METADATA } from '@nestjs/graphql';
import { ACCESS_KEY, AccessRule } from '../../src/sessions/access.decorator';
import { startTestApp, TestApp } from '../support/test-app';

// Every query, mutation and subscription of the schema, with the access rule its resolver declares. A new
// operation fails this test until it declares @Public(), @SignedIn() or @Roles(...) and is listed.
const EXPECTED: Record<string, string> = {
  'Query.loginOptions': 'public',
  'Query.errorCodes': 'public',
  'Query.me': 'signed-in',
  'Query.myPersonalData': 'signed-in',
  'Query.mySessions': 'signed-in',
  'Mutation.sendSmsCode': 'public',
  'Mutation.loginWithPhone': 'public',
  'Mutation.refreshSession': 'public',
  'Mutation.logout': 'signed-in',
  'Mutation.revokeSession': 'signed-in',
  'Mutation.deleteMyAccount': 'signed-in',
  'Mutation.startProviderLogin': 'public',
  'Mutation.startWechatLogin': 'public',
  'Mutation.wechatLogin': 'public',
  'Mutation.bindPhone': 'public',
  'Mutation.wechatRelogin': 'public',
  'Mutation.linkWechat': 'signed-in',
  'Mutation.unlinkWechat': 'signed-in',
  'Mutation.wechatMiniProgramLogin': 'public',
  'Mutation.wechatMiniProgramBindPhone': 'public',
  'Mutation.unlinkIdentity': 'signed-in',
  'Mutation.alipayLogin': 'public',
  'Mutation.appleLogin': 'public',
  'Mutation.huaweiLogin': 'public',
  'Mutation.carrierLogin': 'public',
  'Mutation.carrierBindPhone': 'public',
  'Mutation.linkAlipay': 'signed-in',
  'Mutation.linkApple': 'signed-in',
  'Mutation.linkHuawei': 'signed-in',
  'Mutation.qqLogin': 'public',
  'Mutation.linkQq': 'signed-in',
  'Query.adminIdentityConflicts': 'roles:admin',
  'Query.adminWebhookDeliveries': 'roles:admin',
  'Mutation.adminRedeliverWebhook': 'roles:admin',
  'Mutation.adminResolveIdentityConflict': 'roles:admin',
  'Query.adminUsers': 'roles:admin',
  'Query.adminUser': 'roles:admin',
  'Query.adminAuditEvents': 'roles:admin',
  'Query.adminLoginStats': 'roles:admin',
  'Query.adminTokenRefreshStatus': 'roles:admin',
  'Mutation.adminBanUser': 'roles:admin',
  'Mutation.adminUnbanUser': 'roles:admin',
  'Mutation.adminUnlinkWechat': 'roles:admin',
  'Mutation.adminRevokeSessions': 'roles:admin',
  'Mutation.adminRunTokenRefresh': 'roles:admin',
  'Query.qrLoginStatus': 'public',
  'Mutation.startQrLogin': 'public',
  'Mutation.startWechatFollowLogin': 'public',
  'Mutation.scanQrLogin': 'signed-in',
  'Mutation.confirmQrLogin': 'signed-in',
  'Mutation.cancelQrLogin': 'signed-in',
  'Subscription.qrLoginStatus': 'public',
};

function describeRule(rule: AccessRule | undefined): string {
  if (!rule) return 'NONE';
  return rule.kind === 'roles' ? `roles:${rule.roles.join(',')}` : rule.kind;
}

describe('access declarations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('every query, mutation and subscription of the schema declares its access, as listed', () => {
    const declared = new Map<string, string>();
    const scanner = new MetadataScanner();
    const providers = [...t.app.get(ModulesContainer).values()].flatMap((module) => [...module.providers.values()]);
    for (const wrapper of providers) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const method of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method] as object;
        const type = Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) as string | undefined;
        if (type !== 'Query' && type !== 'Mutation' && type !== 'Subscription') continue;
        const name = (Reflect.getMetadata(RESOLVER_NAME_METADATA, handler) as string | undefined) ?? method;
        const rule =
          (Reflect.getMetadata(ACCESS_KEY, handler) as AccessRule | undefined) ??
          (Reflect.getMetadata(ACCESS_KEY, instance.constructor) as AccessRule | undefined);
        declared.set(`${type}.${name}`, describeRule(rule));
      }
    }

    const schema = t.app.get(GraphQLSchemaHost).schema;
    const operations: Record<string, string> = {};
    for (const [root, type] of [
      ['Query', schema.getQueryType()],
      ['Mutation', schema.getMutationType()],
      ['Subscription', schema.getSubscriptionType()],
    ] as const) {
      for (const field of Object.keys(type?.getFields() ?? {})) {
        operations[`${root}.${field}`] = declared.get(`${root}.${field}`) ?? 'NO RESOLVER FOUND';
      }
    }
    expect(operations).toEqual(EXPECTED);
  });

  it('refuses every signed-in operation to an anonymous caller', async () => {
    const calls = [
      '{ me { id } }',
      '{ mySessions { id } }',
      'mutation { logout }',
      'mutation { revokeSession(id: "x") }',
      'mutation { deleteMyAccount(smsCode: "123456") }',
      'mutation { linkWechat(input: { code: "c", state: "s" }) { id } }',
      'mutation { unlinkWechat { id } }',
      'mutation { scanQrLogin(qrContent: "wlqr:x") { createdAt } }',
      'mutation { confirmQrLogin(qrContent: "wlqr:x") }',
      'mutation { cancelQrLogin(qrContent: "wlqr:x") }',
    ];
    for (const query of calls) {
      const res = await t.gql(query);
      expect({ query, code: res.body.errors?.[0]?.extensions?.code }).toEqual({ query, code: 'UNAUTHENTICATED' });
    }
  });
});
