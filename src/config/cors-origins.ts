// CORS_ORIGINS: the web origins (scheme://host[:port]) whose pages may call the service from a browser.
// Exact origins only: no wildcard, no path, no pattern. The sandbox also allows any port of
// http://localhost and http://127.0.0.1, so a page served by a dev server works without configuration.

export interface CorsSettings {
  /** Exact origins, normalised as browsers send them (lower-case host, no default port). */
  origins: string[];
  /** Sandbox: http://localhost:<any port> and http://127.0.0.1:<any port> are allowed too. */
  loopbackAnyPort: boolean;
}

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;

/** Reads CORS_ORIGINS (raw, trimmed; undefined when unset), naming every malformed entry. */
export function readCorsOrigins(raw: string | undefined, production: boolean, problems: string[]): CorsSettings {
  const origins: string[] = [];
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const origin = parseOrigin(entry);
    if (!origin) {
      problems.push(
        `CORS_ORIGINS: "${entry}" is not an origin; give scheme://host[:port] such as https://h5.example.com (exact origins only: no path, no wildcard)`,
      );
    } else if (production && !origin.startsWith('https://')) {
      problems.push(`CORS_ORIGINS: "${entry}" must be https in production`);
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  }
  return { origins, loopbackAnyPort: !production };
}

/** Whether a browser's Origin header is allowed; a request without one (app, curl) is not a CORS request. */
export function corsOriginAllowed(origin: string | undefined, settings: CorsSettings): boolean {
  if (!origin) return false;
  if (settings.origins.includes(origin)) return true;
  return settings.loopbackAnyPort && LOOPBACK.test(origin);
}

// "https://H5.example.com:443" is https://h5.example.com; a trailing "/" is tolerated, anything after it is not.
function parseOrigin(entry: string): string | null {
  if (entry.includes('*')) return null;
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return null;
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(entry)) return null;
  return url.origin;
}
