import type { AddressInfo } from 'node:net';
import type { AppConfigValues, DatabaseSettings } from './config/app-config';

const LABEL_WIDTH = 17;

/** One fake the banner names in sandbox mode: its name, where it is mounted, one line about it. */
export interface BannerFake {
  name: string;
  mount: string;
  summary: string;
}

/** The fakes mounted in this instance (none in production); the composition root provides them. */
export const BANNER_FAKES = Symbol('BANNER_FAKES');

export function printBanner(
  config: AppConfigValues,
  address: AddressInfo | string | null,
  fakes: readonly BannerFake[] = [],
): void {
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${host}:${port}`;
  const line = (label: string, text: string): string => `${label.padEnd(LABEL_WIDTH)}${text}`;
  const origins = config.cors.origins.join(', ');
  const lines =
    config.mode === 'sandbox'
      ? [
          '!!  SANDBOX MODE: NOT FOR PRODUCTION  !!',
          'WeChat, Apple, Huawei and the carrier are faked in-process; SMS codes are printed to the log',
          'and kept in an outbox.',
          `Keys generated under ${config.dataDir}.`,
          `${describeDatabase(config.database)}.`,
          '',
          line('Start here', `${base}/sandbox  (every fake, its endpoints, the people)`),
          line('GraphQL', `${base}/graphql  (the playground in a browser)`),
          line('Health', `${base}/health/live  ${base}/health/ready`),
          ...fakes.map((fake) => line(fake.name, `${base}${fake.mount}  (${fake.summary})`)),
          line('SMS outbox', `${base}/sandbox/sms/outbox?phone=<phone>  (the codes sent)`),
          ...(config.captcha?.provider === 'sandbox'
            ? [line('Captcha', `POST ${base}/sandbox/captcha/solve  (a solved captcha's token)`)]
            : []),
          line('Clock', `POST ${base}/sandbox/clock {"advanceSeconds":600}  (the service and every fake)`),
          ...config.wechat.apps.map((a, i) => line(i === 0 ? 'WeChat apps' : '', `${a.appId} (${a.channel})`)),
          line(
            'Admin phone',
            `${config.adminPhones.join(', ') || 'none (set ADMIN_PHONES)'}  (playground sign-in; code in /sandbox/sms/outbox)`,
          ),
          line(
            'Web pages',
            `http://localhost:<any port>, http://127.0.0.1:<any port>${origins ? `, ${origins}` : ''} (CORS)`,
          ),
          '',
          'Set NODE_ENV=production and the variables of .env.example to run for real.',
        ]
      : [
          `wechat-login listening on ${base} (production mode)`,
          `GraphQL ${base}/graphql`,
          `Web origins allowed (CORS_ORIGINS): ${origins || 'none (web pages must be served from this origin)'}`,
        ];
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const rule = '='.repeat(width);
  process.stdout.write(`\n${rule}\n${lines.map((l) => `  ${l}`).join('\n')}\n${rule}\n\n`);
}

/** Where the data lives, without credentials: "SQLite database at <file>", "MariaDB database at host:port/name". */
export function describeDatabase(database: DatabaseSettings): string {
  if (database.type === 'sqlite') return `SQLite database at ${database.path}`;
  const url = new URL(database.url);
  return `${database.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} database at ${url.host}${url.pathname}`;
}
