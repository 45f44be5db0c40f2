// How long an access token lives, from its own `iat` and `exp` claims, so that expiry is measured
// on this device's clock from the moment the token arrived: phones' clocks are often wrong.
// Pure TypeScript: mini programs have neither atob nor a Node base64 decoder.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64UrlToText(input: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const char of input) {
    const index = ALPHABET.indexOf(char === '+' ? '-' : char === '/' ? '_' : char);
    if (index < 0) break; // '=' padding or garbage: stop
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  // The claims we read are ASCII numbers; multi-byte characters elsewhere do not matter here.
  return out;
}

/** Milliseconds between the token's iat and exp, or null when it is not a JWT with both. */
export function accessTokenLifetimeMs(accessToken: string): number | null {
  const payload = accessToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(base64UrlToText(payload)) as { iat?: unknown; exp?: unknown };
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp <= claims.iat) return null;
    return (claims.exp - claims.iat) * 1000;
  } catch {
    return null;
  }
}
