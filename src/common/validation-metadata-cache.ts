import { getMetadataStorage } from 'class-validator';

type Lookup = (
  target: unknown,
  schema: string | undefined,
  always: boolean,
  strictGroups: boolean,
  groups?: string[],
) => unknown[];

interface Storage {
  getTargetValidationMetadatas: Lookup;
  addValidationMetadata(...args: unknown[]): unknown;
  addConstraintMetadata(...args: unknown[]): unknown;
  addValidationSchema(...args: unknown[]): unknown;
  cachesLookups?: boolean;
}

/**
 * class-validator finds a class's rules by scanning every registered rule and testing every other
 * registered class for inheritance, on every validation (the global ValidationPipe runs it for each
 * argument of each request): about 1 % of a login's CPU. The rules only change when a class is
 * decorated, at load, so each lookup is kept until a rule is added.
 */
export function cacheValidationLookups(): void {
  const storage = getMetadataStorage() as unknown as Storage;
  if (storage.cachesLookups) return;
  storage.cachesLookups = true;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const cache = new Map<unknown, Map<string, unknown[]>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema ?? ''}|${always}|${strictGroups}|${groups?.join(',') ?? ''}`;
    let byOptions = cache.get(target);
    if (!byOptions) cache.set(target, (byOptions = new Map()));
    let found = byOptions.get(key);
    if (!found) byOptions.set(key, (found = lookup(target, schema, always, strictGroups, groups)));
    return found.slice();
  };
  for (const name of ['addValidationMetadata', 'addConstraintMetadata', 'addValidationSchema'] as const) {
    const add = storage[name].bind(storage);
    storage[name] = (...args: unknown[]) => {
      cache.clear();
      return add(...args);
    };
  }
}
