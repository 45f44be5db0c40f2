import { EnvReader, defineVariables, int, oneOf } from './env-reader';

const V = defineVariables({
  SOME_SECONDS: int('seconds', 30, 1, 3600),
  SOME_OFFSET: int('offset', 0, -10, 10),
  SOME_KIND: oneOf('kind', ['alpha', 'beta']),
});

describe('EnvReader', () => {
  it('reads whole numbers within bounds, as Number() coerces them', () => {
    const values: Record<string, number> = { '42': 42, '1': 1, '3600': 3600, '1e3': 1000, '12.0': 12, '0x10': 16 };
    for (const [raw, expected] of Object.entries(values)) {
      const reader = new EnvReader({ SOME_SECONDS: raw });
      expect(reader.int(V.SOME_SECONDS)).toBe(expected);
      expect(reader.problems).toEqual([]);
    }
    const negative = new EnvReader({ SOME_OFFSET: ' -10 ' });
    expect(negative.int(V.SOME_OFFSET)).toBe(-10);
    expect(negative.problems).toEqual([]);
  });

  it('names a variable that is not a whole number in bounds, and carries on with the default', () => {
    for (const raw of ['0', '3601', '4.5', 'abc', 'Infinity', 'NaN', '9007199254740993', '1_000']) {
      const reader = new EnvReader({ SOME_SECONDS: raw });
      expect(reader.int(V.SOME_SECONDS)).toBe(30);
      expect(reader.problems).toEqual(['SOME_SECONDS: a whole number from 1 to 3600']);
    }
  });

  it('takes the default when unset or blank', () => {
    const reader = new EnvReader({ SOME_SECONDS: '  ' });
    expect(reader.int(V.SOME_SECONDS)).toBe(30);
    expect(reader.problems).toEqual([]);
  });

  it('reads an enum case-insensitively, and names a value outside it', () => {
    const ok = new EnvReader({ SOME_KIND: ' BETA ' });
    expect(ok.enum(V.SOME_KIND)).toBe('beta');
    expect(ok.problems).toEqual([]);
    const bad = new EnvReader({ SOME_KIND: 'gamma' });
    expect(bad.enum(V.SOME_KIND)).toBeUndefined();
    expect(bad.problems).toEqual(['SOME_KIND: one of alpha, beta']);
    expect(new EnvReader({}).enum(V.SOME_KIND)).toBeUndefined();
  });
});
