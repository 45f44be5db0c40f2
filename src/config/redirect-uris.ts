// Redirect-URI allow-lists of the web channels (WECHAT_REDIRECT_URIS). An entry is an exact URL, or a
// pattern ending in `*`: `https://m.example.com/login/*` (any path under /login/ on that origin) or
// `http://localhost:*/*` (any port, any path, on that host). Hosts always compare exactly.
const PATTERN = /^(https?:)\/\/([^/:*]+)(?::(\d+|\*))?(\/[^*]*)?\*$/;

export function isRedirectUriEntry(entry: string): boolean {
  if (entry.includes('*')) return PATTERN.test(entry);
  return parseRedirect(entry) !== null;
}

export function redirectUriAllowed(uri: string, entries: readonly string[]): boolean {
  return allowedRedirectUri(uri, entries) !== null;
}

/** The URI in the normalised form that was checked (what goes to WeChat), or null when not allowed. */
export function allowedRedirectUri(uri: string, entries: readonly string[]): string | null {
  const url = parseRedirect(uri);
  return url !== null && entries.some((entry) => matches(url, entry)) ? url.href : null;
}

function parseRedirect(value: string): URL | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (url.username || url.password || url.hash) return null;
    return url;
  } catch {
    return null;
  }
}

function matches(url: URL, entry: string): boolean {
  if (!entry.includes('*')) return parseRedirect(entry)?.href === url.href;
  const match = PATTERN.exec(entry);
  if (!match) return false;
  const [, protocol, host, port, path = '/'] = match;
  if (url.protocol !== protocol || url.hostname !== host.toLowerCase()) return false;
  if (port !== '*' && url.port !== (port ?? '')) return false;
  return url.pathname.startsWith(path);
}
