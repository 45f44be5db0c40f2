// The one fake kit: every fake under src/sandbox/<provider>/ is built from these parts.
export { CallLog, type LoggedCall } from './call-log';
export { FakeClock } from './clock';
export { type ControlAnswer, kitControl, type KitControlled } from './control';
export { type FaultBase, FaultQueue, type FaultSpec, parseFault } from './faults';
export { type FakeCall, type FakeFault, FakeProviderServer, parseProviderFault } from './fake-provider-server';
export {
  FakeInputError,
  type Json,
  optionalBoolean,
  optionalString,
  readBody,
  requireString,
  sendJson,
  sendText,
} from './http';
export { StandaloneServer } from './standalone';
