// One WeChat API endpoint of the fake: its path, its method and how it answers.
import type { FakeEndpoint, Json } from './fake-wechat.types';

export interface ApiRequest {
  query: URLSearchParams;
  /** The JSON body of a POST endpoint; {} for GET endpoints. */
  body: Json;
  /** Filled in by the endpoint for the call log when it is not in the query (never a secret). */
  appid?: string;
}

export interface ApiEndpoint {
  endpoint: FakeEndpoint;
  path: string;
  /** GET endpoints take POST as well (as WeChat does); POST endpoints answer GET with 43002. */
  method: 'GET' | 'POST';
  answer(req: ApiRequest): Json;
  /** What a fault after the work was done (-1, a dropped or garbled answer) still used up: the code. */
  consume?(req: ApiRequest): void;
}
