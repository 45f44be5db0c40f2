import { ACCOUNTS_VARIABLES } from './areas/accounts.config';
import { APP_VARIABLES } from './areas/app.config';
import { CAPTCHA_VARIABLES } from './areas/captcha.config';
import { DATABASE_VARIABLES } from './areas/database.config';
import { GRAPHQL_VARIABLES } from './areas/graphql.config';
import { HTTP_VARIABLES } from './areas/http.config';
import { LIMITS_VARIABLES } from './areas/limits.config';
import { PROVIDER_EVENTS_VARIABLES } from './areas/provider-events.config';
import { PROVIDERS_VARIABLES } from './areas/providers.config';
import { REDIS_VARIABLES } from './areas/redis.config';
import { SESSION_VARIABLES } from './areas/session.config';
import { SMS_VARIABLES } from './areas/sms.config';
import { TOKEN_REFRESH_VARIABLES } from './areas/token-refresh.config';
import { WECHAT_VARIABLES } from './areas/wechat.config';
import { WEBHOOKS_VARIABLES } from './areas/webhooks.config';
import type { ConfigVariable } from './env-reader';

// Every environment variable the service reads, gathered from the areas that declare them (each with
// its one-line meaning). `.env.example` must list each of them (a unit test checks), and `sensitive`
// ones are masked whenever configuration is printed.
export type EnvVariable = ConfigVariable;

export const ENV_VARIABLES: readonly EnvVariable[] = [
  APP_VARIABLES,
  HTTP_VARIABLES,
  DATABASE_VARIABLES,
  WECHAT_VARIABLES,
  SESSION_VARIABLES,
  SMS_VARIABLES,
  LIMITS_VARIABLES,
  CAPTCHA_VARIABLES,
  ACCOUNTS_VARIABLES,
  REDIS_VARIABLES,
  TOKEN_REFRESH_VARIABLES,
  GRAPHQL_VARIABLES,
  PROVIDERS_VARIABLES,
  WEBHOOKS_VARIABLES,
  PROVIDER_EVENTS_VARIABLES,
].flatMap((area): ConfigVariable[] => Object.values(area));

export const SENSITIVE_VARIABLES = new Set(ENV_VARIABLES.filter((v) => v.sensitive).map((v) => v.name));
