// Every environment variable the service reads, with its one-line meaning. `.env.example` must list
// each of them (a unit test checks), and `sensitive` ones are masked whenever configuration is printed.
export interface EnvVariable {
  name: string;
  description: string;
  sensitive?: boolean;
}

export const ENV_VARIABLES: readonly EnvVariable[] = [
  { name: 'NODE_ENV', description: '`production` turns on production mode (same as APP_MODE=production)' },
  { name: 'APP_MODE', description: '`sandbox` (default outside production) or `production`' },
  { name: 'PORT', description: 'HTTP port (default 3000)' },
  { name: 'HOST', description: 'listen address (default 127.0.0.1 in sandbox, 0.0.0.0 in production)' },
  { name: 'DATA_DIR', description: 'where the SQLite file and sandbox keys live (default ./data)' },
  { name: 'LOG_LEVEL', description: 'fatal | error | warn | info | debug | trace | silent (default info)' },
  {
    name: 'DATABASE_URL',
    description: 'mysql://… or mariadb://… (required in production); default SQLite under DATA_DIR',
    sensitive: true,
  },
  { name: 'DATABASE_POOL_SIZE', description: 'MySQL connection pool size (default 10)' },
  {
    name: 'DATABASE_QUERY_TIMEOUT_MS',
    description: 'longest a query may take; then SERVICE_UNAVAILABLE (default 5000; SQLite: busy wait)',
  },
  {
    name: 'DATABASE_ACQUIRE_TIMEOUT_MS',
    description: 'longest wait for a database connection; then SERVICE_UNAVAILABLE (default 5000)',
  },
  {
    name: 'DATABASE_RETRY_ATTEMPTS',
    description: 'tries of a transaction that lost a deadlock or a cluster certification (default 10)',
  },
  { name: 'DATABASE_RETRY_BASE_MS', description: 'first retry backoff in ms, doubled per try, jittered (default 10)' },
  { name: 'DATABASE_RETRY_MAX_MS', description: 'longest retry backoff in ms (default 500)' },
  {
    name: 'WECHAT_APPS',
    description:
      'channel:appId:appSecret entries, comma-separated (channel app|mini_program|official_account|website; appId:appSecret means app)',
    sensitive: true,
  },
  {
    name: 'WECHAT_REDIRECT_URIS',
    description: 'web apps only: appId=uri|uri;appId2=uri (a trailing * allows any suffix)',
  },
  {
    name: 'WECHAT_OPEN_BASE',
    description: "base of WeChat's web authorize pages (default https://open.weixin.qq.com)",
  },
  {
    name: 'WECHAT_PHONE_DAILY_CAP',
    description: 'billed mini-program phone-number calls allowed per app per day (default 1000)',
  },
  { name: 'WECHAT_APP_ID', description: 'the single-app shorthand: the AppID' },
  { name: 'WECHAT_APP_SECRET', description: 'the single-app shorthand: the AppSecret', sensitive: true },
  {
    name: 'WECHAT_API_BASE',
    description: 'WeChat API base URL (default https://api.weixin.qq.com; the in-process fake in sandbox)',
  },
  { name: 'WECHAT_TIMEOUT_MS', description: 'timeout of one WeChat call in ms (default 3000)' },
  { name: 'WECHAT_BUDGET_MS', description: 'total time for one WeChat operation with its retries (default 8000)' },
  { name: 'WECHAT_REQUIRE_STATE', description: 'require the one-time state on wechatLogin (default true)' },
  { name: 'WECHAT_REFRESH_TOKEN_TTL_DAYS', description: 'assumed WeChat refresh_token lifetime (default 30)' },
  { name: 'CARRIER_PER_IP_PER_MINUTE', description: 'carrier one-tap attempts per client IP per minute (default 30)' },
  { name: 'CARRIER_PER_DEVICE_PER_HOUR', description: 'carrier one-tap attempts per deviceId per hour (default 10)' },
  {
    name: 'REQUIRE_PHONE',
    description: 'a new WeChat/Apple/Huawei person binds a phone before the first session (default true)',
  },
  {
    name: 'TOKEN_ENCRYPTION_KEYS',
    description: 'keyId:base64(32 bytes) pairs, comma-separated, first encrypts (required in production)',
    sensitive: true,
  },
  {
    name: 'SESSION_SIGNING_KEY',
    description: 'PKCS#8 PEM private key, EC P-256 or Ed25519, for access tokens (required in production)',
    sensitive: true,
  },
  {
    name: 'SESSION_VERIFY_KEYS',
    description: 'earlier signing keys, as public PEM (or base64 PEM), comma-separated: still accepted and published',
  },
  { name: 'SESSION_ISSUER', description: 'the `iss` of access tokens (default wechat-login)' },
  { name: 'SESSION_AUDIENCE', description: 'the `aud` of access tokens (default mobile-apps)' },
  { name: 'ACCESS_TOKEN_TTL_SECONDS', description: 'access token lifetime, at most 900 (default 900)' },
  { name: 'SESSION_IDLE_DAYS', description: 'a session dies after this many unused days (default 30)' },
  { name: 'SESSION_ABSOLUTE_DAYS', description: 'a session dies this many days after login (default 90)' },
  { name: 'SMS_PROVIDER', description: 'console (sandbox only) | webhook | tencent | aliyun' },
  { name: 'SMS_WEBHOOK_URL', description: 'webhook provider: the gateway URL that receives JSON' },
  { name: 'SMS_WEBHOOK_SECRET', description: 'webhook provider: HMAC-SHA256 signing secret', sensitive: true },
  { name: 'TENCENT_SMS_SECRET_ID', description: 'tencent provider: API SecretId', sensitive: true },
  { name: 'TENCENT_SMS_SECRET_KEY', description: 'tencent provider: API SecretKey', sensitive: true },
  { name: 'TENCENT_SMS_SDK_APP_ID', description: 'tencent provider: SmsSdkAppId' },
  { name: 'TENCENT_SMS_SIGN_NAME', description: 'tencent provider: approved signature' },
  { name: 'TENCENT_SMS_TEMPLATE_ID', description: 'tencent provider: approved template id' },
  { name: 'TENCENT_SMS_REGION', description: 'tencent provider: API region (default ap-guangzhou)' },
  { name: 'ALIYUN_SMS_ACCESS_KEY_ID', description: 'aliyun provider: AccessKey id', sensitive: true },
  { name: 'ALIYUN_SMS_ACCESS_KEY_SECRET', description: 'aliyun provider: AccessKey secret', sensitive: true },
  { name: 'ALIYUN_SMS_SIGN_NAME', description: 'aliyun provider: approved signature' },
  { name: 'ALIYUN_SMS_TEMPLATE_CODE', description: 'aliyun provider: approved template code' },
  { name: 'SMS_CONSOLE_LOG_CODES', description: 'console provider: also print codes to the log (default true)' },
  { name: 'SMS_CODE_TTL_SECONDS', description: 'an SMS code lives this long (default 300)' },
  { name: 'SMS_RESEND_SECONDS', description: 'hard: at most one code per phone this often (default 60)' },
  {
    name: 'SMS_PHONE_HARD_PER_DAY',
    description: 'hard: at most this many codes per phone in 24 hours, captcha or not (default 30)',
  },
  { name: 'SMS_MAX_ATTEMPTS', description: 'wrong tries from the asking source that lock a code for it (default 5)' },
  {
    name: 'SMS_MAX_FOREIGN_ATTEMPTS',
    description: 'wrong tries from all other sources that lock a code for them only (default 10)',
  },
  { name: 'SMS_VERIFY_IP_PER_HOUR', description: 'wrong codes per client IP an hour before a captcha (default 100)' },
  { name: 'SMS_VERIFY_DEVICE_PER_HOUR', description: 'wrong codes per deviceId an hour before a captcha (default 20)' },
  {
    name: 'SMS_PHONE_KNOWN_PER_DAY',
    description: "hard: sends a day past the daily cap for the phone user's own devices (default 10)",
  },
  { name: 'SMS_PHONE_PER_HOUR', description: 'budget: codes per phone an hour before a captcha (default 5)' },
  { name: 'SMS_PHONE_PER_DAY', description: 'budget: codes per phone in 24 hours before a captcha (default 10)' },
  { name: 'SMS_IP_PER_MINUTE', description: 'budget: sends per client IP a minute before a captcha (default 60)' },
  { name: 'SMS_IP_PER_HOUR', description: 'budget: sends per client IP an hour before a captcha (default 600)' },
  { name: 'SMS_DEVICE_PER_HOUR', description: 'budget: sends per deviceId an hour before a captcha (default 10)' },
  { name: 'SMS_DEVICE_PER_DAY', description: 'budget: sends per deviceId in 24 hours before a captcha (default 20)' },
  { name: 'SMS_PREFIX_DIGITS', description: 'national digits that make a number prefix, 3: +86 138 (default 3)' },
  {
    name: 'SMS_PREFIX_PER_HOUR',
    description: 'budget: sends per number prefix an hour before a captcha (default 1000)',
  },
  {
    name: 'SMS_COUNTRY_PER_HOUR',
    description: 'budget: sends per country an hour before a captcha: 5000, or CN:5000,HK:200,*:100 (default 5000)',
  },
  {
    name: 'SMS_GLOBAL_PER_HOUR',
    description: 'budget: all sends an hour before everyone needs a captcha (default 10000)',
  },
  {
    name: 'SMS_CAPTCHA',
    description:
      'on (default): over a budget, a captcha; off: over a budget, SMS_RATE_LIMITED (production needs it said)',
  },
  { name: 'CAPTCHA_PROVIDER', description: 'aliyun (required in production unless SMS_CAPTCHA=off) or sandbox' },
  { name: 'ALIYUN_CAPTCHA_ACCESS_KEY_ID', description: 'aliyun captcha: AccessKey id', sensitive: true },
  { name: 'ALIYUN_CAPTCHA_ACCESS_KEY_SECRET', description: 'aliyun captcha: AccessKey secret', sensitive: true },
  { name: 'ALIYUN_CAPTCHA_SCENE_ID', description: 'aliyun captcha: the scene id (also sent to the client)' },
  { name: 'ALIYUN_CAPTCHA_PREFIX', description: 'aliyun captcha: the identity prefix (sent to the client)' },
  { name: 'ALIYUN_CAPTCHA_REGION', description: 'aliyun captcha: the client region, cn or sgp (default cn)' },
  {
    name: 'ALIYUN_CAPTCHA_ENDPOINT',
    description: 'aliyun captcha: verification host or URL (default captcha.cn-shanghai.aliyuncs.com)',
  },
  {
    name: 'THROTTLE_PUBLIC_PER_MINUTE',
    description: 'public operations per client IP a minute, shared by all instances (default 600)',
  },
  {
    name: 'REDIS_URL',
    description: 'redis://…: SMS budgets and the general throttle live in Redis instead of the database',
    sensitive: true,
  },
  { name: 'REDIS_KEY_PREFIX', description: 'prefix of every Redis key (default wechat-login:)' },
  {
    name: 'TOKEN_REFRESH_ENABLED',
    description:
      'run the WeChat token refresh job in this API instance (default true; false where refresh-worker processes run it)',
  },
  {
    name: 'TOKEN_REFRESH_INTERVAL_SECONDS',
    description:
      'pause of the refresh job when nothing is due or the budget is spent; passes follow each other while work is due (default 60)',
  },
  {
    name: 'TOKEN_REFRESH_WINDOW_SECONDS',
    description: 'refresh access tokens expiring within this many seconds (default 1800)',
  },
  { name: 'TOKEN_REFRESH_CONCURRENCY', description: 'grants refreshed at once per instance (default 16, at most 256)' },
  {
    name: 'TOKEN_REFRESH_PER_MINUTE',
    description: 'grants refreshed per minute across all instances, under WeChat quota of 50,000 (default 30000)',
  },
  { name: 'TOKEN_REFRESH_BATCH', description: 'grants one instance claims per pass (default 500)' },
  {
    name: 'TOKEN_REFRESH_LEASE_SECONDS',
    description: "a claimed grant is another instance's again after this long (default 120)",
  },
  {
    name: 'TOKEN_REFRESH_MAX_LAG_MS',
    description: 'the job pauses while event-loop delay exceeds this, so requests go first; 0 = never (default 40)',
  },
  { name: 'ALLOWED_PHONE_REGIONS', description: 'ISO countries whose mobile numbers are accepted (default CN)' },
  {
    name: 'ADMIN_PHONES',
    description: 'E.164 phones that hold the admin role, checked on every request (sandbox default +8613800000000)',
  },
  {
    name: 'TRUST_PROXY',
    description: 'false (default), the number of proxies in front, or their addresses/CIDRs (true: sandbox only)',
  },
  {
    name: 'TRUSTED_SOURCES',
    description:
      'client addresses/CIDRs (load sources, own probes) that skip the general throttle and the SMS budgets per IP, device, prefix, country and in all; per-phone limits still apply (default: none)',
  },
  {
    name: 'CORS_ORIGINS',
    description:
      'web origins allowed to call the service from a browser, exact, comma-separated (https://h5.example.com); the sandbox also allows http://localhost and http://127.0.0.1 on any port',
  },
  { name: 'METRICS_TOKEN', description: 'if set, /metrics requires Authorization: Bearer <token>', sensitive: true },
  { name: 'GRAPHQL_MAX_DEPTH', description: 'maximum query depth (default 8)' },
  { name: 'GRAPHQL_MAX_ALIASES', description: 'maximum aliases per operation (default 15)' },
  { name: 'GRAPHQL_MAX_COST', description: 'maximum query cost (default 5000)' },
  { name: 'GRAPHQL_MAX_TOKENS', description: 'maximum tokens in one document (default 2000)' },
  {
    name: 'GRAPHQL_SCHEMA_FILE',
    description: 'write the schema SDL here at boot (default schema.gql outside production)',
  },
  { name: 'HTTP_BODY_LIMIT', description: 'largest request body accepted (default 64kb)' },
  { name: 'PROVIDER_TIMEOUT_MS', description: 'timeout of one Apple, Huawei or carrier call in ms (default 3000)' },
  { name: 'PROVIDER_BUDGET_MS', description: 'total time for one provider operation with its retries (default 8000)' },
  {
    name: 'APPLE_BUNDLE_IDS',
    description: 'Sign in with Apple: our iOS bundle ids, comma-separated (the token audiences)',
  },
  { name: 'APPLE_TEAM_ID', description: 'Sign in with Apple: the 10-character Team ID' },
  { name: 'APPLE_KEY_ID', description: 'Sign in with Apple: the Key ID of the Sign in with Apple key' },
  {
    name: 'APPLE_PRIVATE_KEY',
    description: 'Sign in with Apple: the .p8 key (PKCS#8 PEM, or its base64) that signs client_secret',
    sensitive: true,
  },
  {
    name: 'APPLE_API_BASE',
    description: 'Apple base URL for /auth/keys, /auth/token, /auth/revoke (default https://appleid.apple.com)',
  },
  { name: 'APPLE_ISSUER', description: 'expected iss of identity tokens (default APPLE_API_BASE)' },
  { name: 'HUAWEI_CLIENT_ID', description: 'Huawei ID: the OAuth 2.0 client ID (AppGallery Connect)' },
  { name: 'HUAWEI_CLIENT_SECRET', description: 'Huawei ID: the OAuth 2.0 client secret', sensitive: true },
  { name: 'HUAWEI_OAUTH_BASE', description: 'Huawei OAuth server (default https://oauth-login.cloud.huawei.com)' },
  { name: 'HUAWEI_ACCOUNT_BASE', description: 'Huawei user-info API (default https://account.cloud.huawei.com)' },
  { name: 'HUAWEI_ISSUER', description: 'expected iss of Huawei id_tokens (default https://accounts.huawei.com)' },
  {
    name: 'CARRIER_ACCESS_KEY_ID',
    description: 'carrier one-tap (Alibaba Cloud Dypnsapi): AccessKey id',
    sensitive: true,
  },
  {
    name: 'CARRIER_ACCESS_KEY_SECRET',
    description: 'carrier one-tap (Alibaba Cloud Dypnsapi): AccessKey secret',
    sensitive: true,
  },
  { name: 'CARRIER_ENDPOINT', description: 'Dypnsapi endpoint host or URL (default dypnsapi.aliyuncs.com)' },
  {
    name: 'SHUTDOWN_DRAIN_MS',
    description: 'at SIGTERM, readiness is red this long before the listener closes (default 5000)',
  },
];

export const SENSITIVE_VARIABLES = new Set(ENV_VARIABLES.filter((v) => v.sensitive).map((v) => v.name));
