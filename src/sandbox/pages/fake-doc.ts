// How a fake describes itself for the /sandbox page, the fake WeChat's index and the banner.
export interface EndpointDoc {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  what: string;
}

export interface FakeDoc {
  name: string;
  /** Where it is mounted in the service. */
  mount: string;
  /** One line for the banner. */
  summary: string;
  /** The provider's own API, as our service calls it. */
  provider: EndpointDoc[];
  /** The person's side and the sandbox's controls, for you. */
  sandbox: EndpointDoc[];
}
