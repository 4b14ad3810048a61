/**
 * The attribute types a kernel contract declares. One declaration gives three
 * things: the TypeScript type of the attrs `Backend.run` accepts (so a
 * misspelled or mistyped attribute is a compile error), the text of the README
 * kernel table, and the run-time check `run` applies for callers that are not
 * type-checked (plain JavaScript, attrs built in a variable).
 */
import { DTYPES, type DType } from '../dtype.js';

export interface AttrType<T> {
  /** The type as the README writes it: 'number', 'integer[]', 'DType', 'BinaryOp'. */
  readonly text: string;
  /** What a value must be, for error messages: 'a number', 'an array of integers'. */
  readonly expected: string;
  readonly optional: boolean;
  /** One line on what the attribute means, shown in the README. */
  readonly doc?: string;
  is(value: unknown): value is T;
}

/** An attribute that may be left out (or passed as undefined). */
export interface OptionalAttrType<T> extends AttrType<T> {
  readonly optional: true;
}

/** Attribute name -> type. */
export type AttrSchema = Readonly<Record<string, AttrType<unknown>>>;

function attrType<T>(text: string, expected: string, is: (value: unknown) => value is T): AttrType<T> {
  return { text, expected, optional: false, is };
}

/** Any number (NaN and infinities included: a kernel that needs finite values says so itself). */
const number = attrType('number', 'a number', (v): v is number => typeof v === 'number');

const integer = attrType('integer', 'an integer', (v): v is number => Number.isInteger(v));

const boolean = attrType('boolean', 'a boolean', (v): v is boolean => typeof v === 'boolean');

const integers = attrType(
  'integer[]',
  'an array of integers',
  (v): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x)),
);

const dtype = attrType('DType', `one of ${DTYPES.join(', ')}`, (v): v is DType => DTYPES.includes(v as DType));

/** One of a fixed list of strings, written in the README as `typeName`. */
function oneOf<const V extends string>(typeName: string, values: readonly V[]): AttrType<V> {
  return attrType(typeName, `one of ${values.join(', ')}`, (v): v is V => values.includes(v as V));
}

function optional<T>(type: AttrType<T>, doc?: string): OptionalAttrType<T> {
  return { ...type, optional: true, doc: doc ?? type.doc };
}

/** The same type with a line of documentation. */
function described<T>(type: AttrType<T>, doc: string): AttrType<T> {
  return { ...type, doc };
}

/**
 * The attribute types, used as `attrs: { eps: attr.number, keepDims: attr.optional(attr.boolean) }`
 * in a kernel contract.
 */
export const attr = { number, integer, boolean, integers, dtype, oneOf, optional, described };

type TypeOf<A> = A extends AttrType<infer T> ? T : never;
type OptionalKeys<S> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];
type RequiredKeys<S> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The attrs of a kernel without attributes: only `{}` (or nothing) is accepted. */
export type NoAttrs = { readonly [attr: string]: never };

/** The attrs object a schema describes: required and optional members, nothing else. */
export type AttrsOfSchema<S extends AttrSchema> = [keyof S] extends [never]
  ? NoAttrs
  : Simplify<{ [K in RequiredKeys<S>]: TypeOf<S[K]> } & { [K in OptionalKeys<S>]?: TypeOf<S[K]> }>;

/** `{ axes: integer[], keepDims?: boolean }`, or '-' for no attributes. */
export function schemaText(schema: AttrSchema): string {
  const entries = Object.entries(schema);
  if (entries.length === 0) return '-';
  return `{ ${entries.map(([name, type]) => `${name}${type.optional ? '?' : ''}: ${type.text}`).join(', ')} }`;
}

/**
 * Every problem of `attrs` against `schema`, described: unknown attributes
 * (with the known ones listed), missing required ones, wrong types. Empty
 * when the attrs conform.
 */
export function attrProblems(schema: AttrSchema, attrs: unknown): string[] {
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
    return [`attrs must be an object, got ${describeValue(attrs)}`];
  }
  const problems: string[] = [];
  const record = attrs as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!Object.hasOwn(schema, name)) {
      const known = Object.keys(schema);
      problems.push(
        `unknown attribute '${name}' (${known.length ? `its attributes are ${known.join(', ')}` : 'it takes no attributes'})`,
      );
    }
  }
  for (const [name, type] of Object.entries(schema)) {
    const value = record[name];
    if (value === undefined) {
      if (!type.optional) problems.push(`attrs.${name} is required (${type.expected})`);
    } else if (!type.is(value)) {
      problems.push(`attrs.${name} must be ${type.expected}, got ${describeValue(value)}`);
    }
  }
  return problems;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}' (a string)`;
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ')}]`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}
