import { DomainError } from '../errors/domain-error';
import { parseMobilePhone } from './phone-number';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'other';
  }
  return undefined;
}

describe('parseMobilePhone', () => {
  it('normalises mainland mobiles to E.164, with or without +86 and separators', () => {
    expect(parseMobilePhone('13800138000', ['CN'])).toBe('+8613800138000');
    expect(parseMobilePhone('+86 138-0013-8000', ['CN'])).toBe('+8613800138000');
    expect(parseMobilePhone('+8619912345678', ['CN'])).toBe('+8619912345678');
  });

  it('refuses garbage, SQL-looking and over-long input with BAD_USER_INPUT', () => {
    for (const input of ['', 'hello', "13800138000' OR '1'='1", '1'.repeat(5000), '12345', '+86 010 1234 5678']) {
      expect({ input: input.slice(0, 20), code: codeOf(() => parseMobilePhone(input, ['CN'])) }).toEqual({
        input: input.slice(0, 20),
        code: 'BAD_USER_INPUT',
      });
    }
  });

  it('refuses valid mobiles of countries that are not allowed with PHONE_NOT_ALLOWED', () => {
    expect(codeOf(() => parseMobilePhone('+14155552671', ['CN']))).toBe('PHONE_NOT_ALLOWED');
    expect(codeOf(() => parseMobilePhone('+85251234567', ['CN']))).toBe('PHONE_NOT_ALLOWED');
  });

  it('accepts them once their country is allowed', () => {
    expect(parseMobilePhone('+85251234567', ['CN', 'HK'])).toBe('+85251234567');
  });

  it('answers a number it parsed before the same way, whatever regions the caller allows now', () => {
    for (let round = 0; round < 2; round++) {
      expect(parseMobilePhone('138 0013 8000', ['CN'])).toBe('+8613800138000');
      expect(codeOf(() => parseMobilePhone('+86 010 1234 5678', ['CN']))).toBe('BAD_USER_INPUT');
      expect(codeOf(() => parseMobilePhone('+85291234567', ['CN']))).toBe('PHONE_NOT_ALLOWED');
      expect(parseMobilePhone('+85291234567', ['CN', 'HK'])).toBe('+85291234567');
    }
    // Without CN allowed, a number without +86 is not taken as mainland (another default region).
    expect(codeOf(() => parseMobilePhone('13800138000', ['HK']))).toBe('BAD_USER_INPUT');
  });
});
