/** What a client needs to show the captcha: sent in `extensions.captcha` of CAPTCHA_REQUIRED. */
export interface CaptchaChallenge {
  provider: 'aliyun' | 'sandbox';
  sceneId: string;
  prefix: string;
  region?: string;
  /** Sandbox only: where a test or a developer gets a solved token. */
  solveUrl?: string;
}

/** Checks, on the server, a token the client got by solving the captcha. */
export abstract class CaptchaVerifier {
  abstract readonly challenge: CaptchaChallenge;

  /** true: a person solved this scene's captcha. Throws when the provider cannot be asked. */
  abstract verify(token: string): Promise<boolean>;
}
