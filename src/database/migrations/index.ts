import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { RateLimitHits1764100000000 } from './1764100000000-rate-limit-hits';

// Listed explicitly (not globbed) so that the app, the CLI and the tests run the same set in order.
export const MIGRATIONS = [InitialSchema1764000000000, RateLimitHits1764100000000];
