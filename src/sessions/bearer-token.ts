import type { IncomingHttpHeaders } from 'node:http';

/** The access token of an `Authorization: Bearer …` header, or null. */
export function bearerTokenOf(headers: IncomingHttpHeaders | undefined): string | null {
  const header = headers?.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S{1,4096})$/i.exec(header) : null;
  return match ? match[1] : null;
}
