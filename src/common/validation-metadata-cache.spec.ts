import { IsInt, IsString, validate } from 'class-validator';
import { cacheValidationLookups } from './validation-metadata-cache';

class Parent {
  @IsString()
  name!: unknown;
}

const failed = async (value: object): Promise<string[]> =>
  (await validate(value)).map((error) => error.property).sort();

describe('cacheValidationLookups', () => {
  beforeAll(() => cacheValidationLookups());

  it('finds the same rules as class-validator does, inherited ones included, lookup after lookup', async () => {
    const parent = Object.assign(new Parent(), { name: 1 });
    expect(await failed(parent)).toEqual(['name']);
    expect(await failed(parent)).toEqual(['name']);
    class Child extends Parent {
      @IsInt()
      age!: unknown;
    }
    const child = Object.assign(new Child(), { name: 2, age: 'x' });
    expect(await failed(child)).toEqual(['age', 'name']);
    expect(await failed(child)).toEqual(['age', 'name']);
    expect(await failed(Object.assign(new Parent(), { name: 'ok' }))).toEqual([]);
  });

  it('forgets what it found when a rule is added later', async () => {
    class Late {
      @IsString()
      first!: unknown;
      second!: unknown;
    }
    const late = Object.assign(new Late(), { first: 'ok', second: 3 });
    expect(await failed(late)).toEqual([]);
    IsString()(Late.prototype, 'second');
    expect(await failed(late)).toEqual(['second']);
  });
});
