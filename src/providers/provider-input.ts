import { DomainError } from '../errors/domain-error';

// What a client brought, checked before anything leaves: a malformed value never reaches the
// provider, so it can neither count against the provider's breaker nor spend a call.

// Provider tokens and codes are opaque ASCII (hex, base64, base64url): no spaces, no controls, no
// characters outside ASCII (so no lone surrogates either).
const OPAQUE = /^[A-Za-z0-9._~+/=-]+$/;
// A URL as sent on the wire: printable ASCII, already percent-encoded.
const WIRE_URL = /^[\x21-\x7e]+$/;

export function checkOpaque(value: unknown, field: string, maxLength: number): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw DomainError.badInput(field, 'required');
  if (value.length > maxLength || !OPAQUE.test(value)) throw DomainError.badInput(field, 'malformed');
}

/** An absolute http(s) URL without credentials or fragment, at most 2048 characters. */
export function checkRedirectUri(value: unknown, field = 'redirectUri'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw DomainError.badInput(field, 'required');
  if (value.length > 2048 || !WIRE_URL.test(value)) throw DomainError.badInput(field, 'malformed');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw DomainError.badInput(field, 'malformed');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.hash) {
    throw DomainError.badInput(field, 'malformed');
  }
}
