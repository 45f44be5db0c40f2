import { SetMetadata } from '@nestjs/common';

export const ACCESS_KEY = 'access';

export type AccessRule = { kind: 'public' } | { kind: 'signed-in' } | { kind: 'roles'; roles: string[] };

/** Anyone may call it, signed in or not. */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_KEY, { kind: 'public' } satisfies AccessRule);

/** Only a caller with a live session. */
export const SignedIn = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_KEY, { kind: 'signed-in' } satisfies AccessRule);

/** Only a signed-in caller holding one of these roles. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_KEY, { kind: 'roles', roles } satisfies AccessRule);
