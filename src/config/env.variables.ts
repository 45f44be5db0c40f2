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
  { name: 'WECHAT_APPS', description: 'one or more appId:appSecret pairs, comma-separated', sensitive: true },
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
  { name: 'SMS_RESEND_SECONDS', description: 'at most one code per phone this often (default 60)' },
  { name: 'SMS_PHONE_PER_DAY', description: 'at most this many codes per phone in 24 hours (default 10)' },
  { name: 'SMS_IP_PER_MINUTE', description: 'at most this many sends per client IP a minute (default 60)' },
  { name: 'SMS_IP_PER_HOUR', description: 'at most this many sends per client IP an hour (default 600)' },
  { name: 'SMS_MAX_ATTEMPTS', description: 'wrong tries that kill a code (default 5)' },
  {
    name: 'SMS_PHONE_FAILURES_PER_HOUR',
    description: 'wrong tries per phone an hour before it is locked (default 10)',
  },
  {
    name: 'THROTTLE_PUBLIC_PER_MINUTE',
    description: 'public operations per client IP a minute, per instance (default 600)',
  },
  { name: 'TOKEN_REFRESH_ENABLED', description: 'run the WeChat token refresh job on this instance (default true)' },
  { name: 'TOKEN_REFRESH_INTERVAL_SECONDS', description: 'how often the refresh job runs (default 60)' },
  {
    name: 'TOKEN_REFRESH_WINDOW_SECONDS',
    description: 'refresh access tokens expiring within this many seconds (default 1800)',
  },
  { name: 'TOKEN_REFRESH_CONCURRENCY', description: 'refresh calls in flight per instance (default 4)' },
  {
    name: 'TOKEN_REFRESH_PER_MINUTE',
    description: 'refreshes per minute across all instances, under WeChat quota (default 1000)',
  },
  { name: 'TOKEN_REFRESH_BATCH', description: 'grants one instance claims per pass (default 200)' },
  {
    name: 'TOKEN_REFRESH_LEASE_SECONDS',
    description: "a claimed grant is another instance's again after this long (default 120)",
  },
  { name: 'ALLOWED_PHONE_REGIONS', description: 'ISO countries whose mobile numbers are accepted (default CN)' },
  { name: 'ADMIN_PHONES', description: 'E.164 phones that hold the admin role (checked on every request)' },
  {
    name: 'TRUST_PROXY',
    description: 'false (default), the number of proxies in front, or their addresses/CIDRs (true: sandbox only)',
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
  {
    name: 'SHUTDOWN_DRAIN_MS',
    description: 'at SIGTERM, readiness is red this long before the listener closes (default 5000)',
  },
];

export const SENSITIVE_VARIABLES = new Set(ENV_VARIABLES.filter((v) => v.sensitive).map((v) => v.name));
