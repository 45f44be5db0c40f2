import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARIABLES } from './env.variables';

describe('.env.example', () => {
  it('lists every variable the configuration declares', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const missing = ENV_VARIABLES.filter((v) => !new RegExp(`^#?\\s*${v.name}=`, 'm').test(example)).map((v) => v.name);
    expect(missing).toEqual([]);
  });
});
