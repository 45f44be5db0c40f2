export * from './generated/graphql';
export type * as Schema from './generated/schema';
export {
  LoginClient,
  type LoginClientOptions,
  type ProviderLoginOutcome,
  type RequestAuth,
  type WechatLoginOutcome,
} from './client';
export { LoginServiceError, NetworkError, isErrorCode, type ErrorCode, type GraphQLErrorBody } from './errors';
export { SessionManager, type SessionManagerOptions, type StoredSession } from './session-manager';
export { MemoryStorage, type TokenStorage } from './storage';
export {
  GraphQLTransport,
  operationNameOf,
  type FetchLike,
  type RequestOptions,
  type RetryOptions,
  type TransportOptions,
  type TypedDocument,
} from './transport';
