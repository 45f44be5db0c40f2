import type { AddressInfo } from 'node:net';
import type { AppConfigValues, DatabaseSettings } from './config/app-config';

export function printBanner(config: AppConfigValues, address: AddressInfo | string | null): void {
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${host}:${port}`;
  const lines =
    config.mode === 'sandbox'
      ? [
          '!!  SANDBOX MODE: NOT FOR PRODUCTION  !!',
          'Fake WeChat server in-process, SMS codes printed to the log and kept in an outbox,',
          `keys generated under ${config.dataDir}, ${describeDatabase(config.database)}.`,
          '',
          `GraphQL          ${base}/graphql`,
          `Health           ${base}/health/live  ${base}/health/ready`,
          `Fake WeChat      ${base}/sandbox/wechat  (POST /authorize to get a code)`,
          `SMS outbox       ${base}/sandbox/sms/outbox?phone=<phone>  (the codes sent)`,
          `WeChat app       ${config.wechat.apps.map((a) => a.appId).join(', ')}`,
          `Admin phone      ${config.adminPhones.join(', ') || 'none (set ADMIN_PHONES)'}  (playground sign-in; code in /sandbox/sms/outbox)`,
          '',
          'Set NODE_ENV=production and the variables of .env.example to run for real.',
        ]
      : [`wechat-login listening on ${base} (production mode)`, `GraphQL ${base}/graphql`];
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
