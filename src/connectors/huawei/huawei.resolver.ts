import { LoginMutations } from '../login-mutations';
import { HuaweiConnector } from './huawei.connector';
import { HuaweiLoginInput } from './huawei.inputs';

export const HuaweiResolver = LoginMutations({
  connector: HuaweiConnector.id,
  input: HuaweiLoginInput,
  login: { name: 'huaweiLogin', description: 'Huawei ID (HarmonyOS): a session, or a bind ticket for a new person.' },
  link: { name: 'linkHuawei', description: 'Add Huawei ID to the signed-in user.' },
});
