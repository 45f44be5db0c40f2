// A variable is declared once, in its area's file (src/config/areas): name, one-line description (the
// comment in .env.example), whether it is sensitive (masked when printed), and for the simple kinds its
// default and bounds. The reader only reads declared variables, so none escapes the list.

export type Env = Record<string, string | undefined>;

interface Described {
  description: string;
  sensitive?: boolean;
}
export interface IntVariable extends Described {
  kind: 'int';
  default: number;
  min: number;
  max: number;
}
export interface BoolVariable extends Described {
  kind: 'bool';
  default: boolean;
}
export interface EnumVariable<T extends string = string> extends Described {
  kind: 'enum';
  values: readonly [T, ...T[]];
}
/** Free text; the area parses it (URLs, lists, keys), or takes `default` when unset. */
export interface TextVariable extends Described {
  kind: 'text';
  default?: string;
}
export type VariableSpec = IntVariable | BoolVariable | EnumVariable | TextVariable;
export type Named<T> = T & { name: string };
export type ConfigVariable = Named<VariableSpec>;

export const int = (description: string, fallback: number, min: number, max: number): IntVariable => ({
  kind: 'int',
  description,
  default: fallback,
  min,
  max,
});
export const bool = (description: string, fallback: boolean): BoolVariable => ({
  kind: 'bool',
  description,
  default: fallback,
});
export const oneOf = <const T extends string>(description: string, values: readonly [T, ...T[]]): EnumVariable<T> => ({
  kind: 'enum',
  description,
  values,
});
export function text(description: string): TextVariable & { default?: undefined };
export function text(description: string, fallback: string): TextVariable & { default: string };
export function text(description: string, fallback?: string): TextVariable {
  return { kind: 'text', description, default: fallback };
}
/** A sensitive value (a secret, a credential, a URL with a password): never printed. */
export const secret = (description: string): TextVariable => ({ kind: 'text', description, sensitive: true });

/** Gives each declaration its name (the key), so that an area's table is the one list of its variables. */
export function defineVariables<T extends Record<string, VariableSpec>>(
  table: T,
): { [K in keyof T]: T[K] & { name: K } } {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, { ...spec, name }])) as unknown as {
    [K in keyof T]: T[K] & { name: K };
  };
}

/** Reads declared variables, collecting every problem (never a value) so that one error names them all. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** Trimmed; undefined when unset or blank. */
  string(variable: Named<Described>): string | undefined {
    const value = this.env[variable.name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** The value, else the declared default. */
  text(variable: Named<TextVariable & { default: string }>): string {
    return this.string(variable) ?? variable.default;
  }

  int(variable: Named<IntVariable>): number {
    const { name, min, max } = variable;
    const raw = this.string(variable);
    if (raw === undefined) return variable.default;
    // Number() as a coercion does ("0x10", "1e3" and "12.0" are numbers too); a safe integer in bounds.
    const parsed = Number(raw);
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name}: a whole number from ${min} to ${max}`);
      return variable.default;
    }
    return parsed;
  }

  bool(variable: Named<BoolVariable>): boolean {
    const raw = this.string(variable)?.toLowerCase();
    if (raw === undefined) return variable.default;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${variable.name}: true or false`);
    return variable.default;
  }

  enum<T extends string>(variable: Named<EnumVariable<T>>): T | undefined {
    const raw = this.string(variable);
    if (raw === undefined) return undefined;
    const value = raw.toLowerCase();
    if (!(variable.values as readonly string[]).includes(value)) {
      this.problems.push(`${variable.name}: one of ${variable.values.join(', ')}`);
      return undefined;
    }
    return value as T;
  }

  /** A required variable that is absent: named, and the caller carries on with a stand-in. */
  missing<T>(variable: Named<Described>, fallback: T): T {
    this.problems.push(`${variable.name}: required in production`);
    return fallback;
  }
}

export function safeUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}
