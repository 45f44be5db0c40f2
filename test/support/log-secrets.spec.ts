import { leakedSecrets } from './log-secrets';

// The log-secret checks of the e2e specs: whole tokens, never pieces of unrelated numbers.

it('finds a code or token standing on its own, in JSON, after "=" or between quotes', () => {
  const logs = ['{"msg":"code 123456 sent"}', 'url=/x?code=654321&a=1', '"token":"eyJhbGciOi.abc-DEF_g"'];
  expect(leakedSecrets(logs, ['123456', '654321', 'eyJhbGciOi.abc-DEF_g'])).toEqual([
    '123456',
    '654321',
    'eyJhbGciOi.abc-DEF_g',
  ]);
});

it('ignores a code that is only a piece of a longer number or word', () => {
  const logs = ['{"time":1764912345678,"port":41234567,"reqId":"a123456b","ms":9123456}'];
  expect(leakedSecrets(logs, ['123456', '234567'])).toEqual([]);
});

it('still finds a phone number inside its international forms', () => {
  expect(leakedSecrets('to +8613800138000', ['13800138000'])).toEqual(['13800138000']);
  expect(leakedSecrets('to 8613800138000', ['13800138000', '+8613800138000'])).toEqual(['13800138000']);
  expect(leakedSecrets('to +86138****8000', ['13800138000', '+8613800138000'])).toEqual([]);
});
