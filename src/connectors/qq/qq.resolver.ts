import { LoginMutations } from '../login-mutations';
import { QqConnector } from './qq.connector';
import { QqLoginInput } from './qq.inputs';

export const QqResolver = LoginMutations({
  connector: QqConnector.id,
  input: QqLoginInput,
  login: {
    name: 'qqLogin',
    description:
      'QQ: the QQ SDK’s access token (phones) or the web redirect’s code and state; a session, or a bind ticket for a new person.',
  },
  link: { name: 'linkQq', description: 'Add QQ to the signed-in user (the same input as qqLogin).' },
});
