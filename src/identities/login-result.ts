import type { SignedIn, SignInOutcome } from './account-linking.service';
import type { LoginResult } from './models/identity.models';
import type { Session } from '../sessions/models/session.model';
import { toUserModel } from '../users/models/user.model';

/** A session as its owner sees it. */
export function toSession({ tokens, user }: SignedIn): Session {
  return { ...tokens, user: toUserModel(user, true) };
}

/** Every connector's login answer: a session, or a bind ticket for a new person. */
export function toLoginResult(outcome: SignInOutcome): LoginResult {
  return {
    isBind: outcome.session !== null,
    session: outcome.session ? toSession(outcome.session) : null,
    bindTicket: outcome.bindTicket?.ticket ?? null,
    bindTicketExpiresAt: outcome.bindTicket?.expiresAt ?? null,
  };
}
