import { LoginMutations } from '../login-mutations';
import { AppleConnector } from './apple.connector';
import { AppleLoginInput } from './apple.inputs';

export const AppleResolver = LoginMutations({
  connector: AppleConnector.id,
  input: AppleLoginInput,
  login: { name: 'appleLogin', description: 'Sign in with Apple: a session, or a bind ticket for a new person.' },
  link: { name: 'linkApple', description: 'Add Sign in with Apple to the signed-in user.' },
});
