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

/** The Web Storage API (`localStorage`, `sessionStorage`), or anything shaped like it. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Browsers: `webStorage(localStorage)` keeps the session and the device id across reloads and the
 * round trip to WeChat's page; `webStorage(sessionStorage)` keeps a pending WeChat login per tab.
 */
export function webStorage(store: WebStorageLike): TokenStorage {
  return {
    get: async (key) => store.getItem(key),
    set: async (key, value) => store.setItem(key, value),
    remove: async (key) => store.removeItem(key),
  };
}

/** The synchronous storage of WeChat mini programs (`wx`) and uni-app (`uni`). */
export interface MiniProgramStorageApi {
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: string): void;
  removeStorageSync(key: string): void;
}

/** `miniProgramStorage(wx)` (or `uni`): the session in the mini program's own storage. */
export function miniProgramStorage(api: MiniProgramStorageApi): TokenStorage {
  return {
    // getStorageSync answers '' for a key that was never set.
    get: async (key) => {
      const value = api.getStorageSync(key);
      return typeof value === 'string' && value !== '' ? value : null;
    },
    set: async (key, value) => api.setStorageSync(key, value),
    remove: async (key) => api.removeStorageSync(key),
  };
}

/**
 * A random id for this installation (or browser), UUID v4 shaped. Uses the platform's
 * crypto.getRandomValues where there is one (browsers, React Native with a polyfill, Node).
 */
export function newDeviceId(): string {
  const bytes = new Uint8Array(16);
  const crypto = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (crypto?.getRandomValues) crypto.getRandomValues(bytes);
  // Mini programs have no synchronous CSPRNG: the id only keys per-device budgets there.
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
