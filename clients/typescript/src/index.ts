export * from './generated/graphql.js';
export type * as Schema from './generated/schema.js';
export {
  LoginClient,
  type LoginClientOptions,
  type LoginOutcome,
  type PhoneButtonOutcome,
  type ProviderLoginOutcome,
  type RequestAuth,
  type User,
  type WechatLoginOutcome,
  type WechatWebReturn,
} from './client.js';
export {
  type QrLoginRequester,
  type QrLoginResult,
  type QrLoginTicket,
  type WechatFollowLoginTicket,
  type WaitOptions as QrLoginWaitOptions,
} from './qr-login.js';
export { LoginServiceError, NetworkError, isErrorCode, type ErrorCode, type GraphQLErrorBody } from './errors.js';
export {
  miniProgramFetch,
  miniProgramLoginCode,
  type MiniProgramLoginApi,
  type MiniProgramRequestApi,
  type PhoneButtonDetail,
} from './mini-program.js';
export { SessionManager, type SessionManagerOptions, type StoredSession } from './session-manager.js';
export {
  MemoryStorage,
  miniProgramStorage,
  newDeviceId,
  webStorage,
  type MiniProgramStorageApi,
  type TokenStorage,
  type WebStorageLike,
} from './storage.js';
export {
  GraphQLTransport,
  operationNameOf,
  type FetchLike,
  type RequestOptions,
  type RetryOptions,
  type TransportOptions,
  type TypedDocument,
} from './transport.js';
export {
  isWechatBrowser,
  parseWechatReturn,
  type PendingWechatLogin,
  type WebWechatChannel,
  type WechatReturnParams,
} from './web-login.js';
