// What the captcha verifier needs of the sandbox's fake captcha, without importing the sandbox: the
// sandbox provides the endpoint (CAPTCHA_PROVIDER=sandbox, sandbox mode only).

/** Where the sandbox's fake captcha serves the verification API (its own port on 127.0.0.1). */
export const SANDBOX_CAPTCHA_ENDPOINT = Symbol('SANDBOX_CAPTCHA_ENDPOINT');

/** The scene and prefix the fake answers for. */
export const SANDBOX_CAPTCHA_SCENE = 'sandbox-scene';
export const SANDBOX_CAPTCHA_PREFIX = 'sandbox';
