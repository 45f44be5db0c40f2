import { parse } from 'node:url';

/**
 * Apollo's Express integration calls the legacy `url.parse()` on every request. Until something
 * outside node_modules has called it once, Node (24.x) looks for the caller's frames on each call to
 * decide whether to print DEP0169, about 30 µs a request (nodejs/node#60991). One silent call of our
 * own sets Node's "already warned" latch; nothing is printed and the function's result is unchanged.
 */
export function latchUrlParseDeprecation(): void {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    parse('/');
  } finally {
    process.noDeprecation = quiet;
  }
}
