/**
 * Where the session's tokens live. Async so that it fits AsyncStorage, expo-secure-store,
 * uni.getStorage / uni.setStorage, Keychain wrappers, localStorage, ...
 */
export interface TokenStorage {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
}

/** The default: kept in memory only, gone when the app restarts. */
export class MemoryStorage implements TokenStorage {
  private readonly values = new Map<string, string>();

  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }

  async remove(key: string): Promise<void> {
    this.values.delete(key);
  }
}
