import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoginClient } from '@wechat-login/client';
import { freshPhone, graphqlUrl, outboxCode } from './sandbox';

// Runs the README's quick start as written (only its URL pointed at the test sandbox).
describe('README quick start', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /<!-- example: phone-login[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];

  it('is ten lines and logs in by phone', async () => {
    expect(block).toBeDefined();
    expect(block!.trim().split('\n').length).toBeLessThanOrEqual(10);
    const dir = join(__dirname, '.generated');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'readme-example.ts');
    writeFileSync(file, block!.replace('http://127.0.0.1:3000/graphql', graphqlUrl()));
    const { phoneLogin } = (await import(file)) as {
      phoneLogin(
        phone: string,
        ask: () => Promise<string>,
      ): Promise<{ client: LoginClient; user: { id: string; phone?: string | null } }>;
    };

    const phone = freshPhone();
    const { client, user } = await phoneLogin(phone, () => outboxCode(phone));
    expect(user.phone).toBe(phone);
    expect((await client.me()).id).toBe(user.id);

    const other = freshPhone();
    const wrong = phoneLogin(other, async () => ((await outboxCode(other)) === '000000' ? '111111' : '000000'));
    await expect(wrong).rejects.toThrow('Wrong or expired code');
  });
});
