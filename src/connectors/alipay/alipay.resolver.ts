import { LoginMutations } from '../login-mutations';
import { AlipayConnector } from './alipay.connector';
import { AlipayLoginInput } from './alipay.inputs';

export const AlipayResolver = LoginMutations({
  connector: AlipayConnector.id,
  input: AlipayLoginInput,
  login: {
    name: 'alipayLogin',
    description: 'Alipay (app or mini program auth code): a session, or a bind ticket for a new person.',
  },
  link: { name: 'linkAlipay', description: 'Add Alipay to the signed-in user.' },
});
