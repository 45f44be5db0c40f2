import { isIP } from 'node:net';
import { CorsSettings, readCorsOrigins } from '../cors-origins';
import { defineVariables, EnvReader, int, secret, text } from '../env-reader';

// The HTTP listener: where it listens, whose X-Forwarded-For it believes, which browser origins may
// call it, how large a body it takes, and who may read /metrics.

export type TrustProxy = boolean | number | string[];

export const HTTP_VARIABLES = defineVariables({
  PORT: int('HTTP port (default 3000)', 3000, 0, 65535),
  HOST: text('listen address (default 127.0.0.1 in sandbox, 0.0.0.0 in production)'),
  TRUST_PROXY: text('false (default), the number of proxies in front, or their addresses/CIDRs (true: sandbox only)'),
  CORS_ORIGINS: text(
    'web origins allowed to call the service from a browser, exact, comma-separated (https://h5.example.com); the sandbox also allows http://localhost and http://127.0.0.1 on any port',
  ),
  HTTP_BODY_LIMIT: text('largest request body accepted (default 64kb)', '64kb'),
  METRICS_TOKEN: secret('if set, /metrics requires Authorization: Bearer <token>'),
});
const V = HTTP_VARIABLES;

export interface HttpSettings {
  port: number;
  host: string;
  /** Express's `trust proxy`: off, a hop count, or proxy addresses/CIDRs (`true`: sandbox only). */
  trustProxy: TrustProxy;
  /** Browser origins allowed to call the service (CORS_ORIGINS; the sandbox adds loopback origins). */
  cors: CorsSettings;
  httpBodyLimit: string;
  /** When set, /metrics answers only this bearer token. */
  metricsToken: string | null;
}

export function readListener(reader: EnvReader, production: boolean): Pick<HttpSettings, 'port' | 'host'> {
  const port = reader.int(V.PORT);
  return { port, host: reader.string(V.HOST) ?? (production ? '0.0.0.0' : '127.0.0.1') };
}

export function readHttp(reader: EnvReader, production: boolean): Omit<HttpSettings, 'port' | 'host'> {
  const httpBodyLimit = reader.text(V.HTTP_BODY_LIMIT);
  if (!/^\d+(b|kb|mb)$/i.test(httpBodyLimit)) reader.problems.push('HTTP_BODY_LIMIT: a size such as 64kb or 1mb');
  return {
    trustProxy: readTrustProxy(reader, production),
    cors: readCorsOrigins(reader.string(V.CORS_ORIGINS), production, reader.problems),
    httpBodyLimit,
    metricsToken: reader.string(V.METRICS_TOKEN) ?? null,
  };
}

/**
 * Whose X-Forwarded-For to believe: nobody (false), the last N hops, or named proxies. `true` would
 * take the left-most address, which the client writes itself; production refuses it.
 */
function readTrustProxy(reader: EnvReader, production: boolean): TrustProxy {
  const raw = reader.string(V.TRUST_PROXY);
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (['false', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) {
    if (production) {
      reader.problems.push(
        'TRUST_PROXY: true would let any client choose its own IP through X-Forwarded-For; give the number of proxies in front (e.g. 1) or their addresses/CIDRs',
      );
      return false;
    }
    return true;
  }
  if (/^\d+$/.test(raw)) return Number(raw) === 0 ? false : Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.every(isProxyAddress)) return entries;
  reader.problems.push(
    'TRUST_PROXY: false, a hop count, or comma-separated proxy addresses/CIDRs (loopback, 10.0.0.0/8, ...)',
  );
  return false;
}

/** An address or address/prefix (IPv4 or IPv6). */
export function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

// What Express's trust proxy (proxy-addr) accepts: an address, address/prefix, or a named range.
function isProxyAddress(entry: string): boolean {
  return ['loopback', 'linklocal', 'uniquelocal'].includes(entry.toLowerCase()) || isAddressOrCidr(entry);
}
