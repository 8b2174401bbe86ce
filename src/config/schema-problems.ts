/**
 * A schema's validation errors as ConfigProblems ({path, message, fix}), and
 * the document with its invalid parts removed so that the checks the schema
 * cannot express (paths, defaults, cross-field rules) still run on the rest.
 *
 * Generic over the schema: the words come from the failing schema node (its
 * type, bounds, constants and its custom `fix`; for a map keyed by names, its
 * `keyTitle` and `keyFix`), the keys for "did you mean" from its properties.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { suggestName } from '../suggest/suggest-name.js';
import type { ConfigProblem } from './config-types.js';

/** The custom keywords schema-problems reads from a schema node. */
interface ProblemKeywords {
  fix?: string;
  keyTitle?: string;
  keyFix?: string;
}

type Node = TSchema & ProblemKeywords;

const FALLBACK_FIX = 'see docs/config.md for what this key takes';

/** `a.b`, `a["odd key"]`: how problems name a place in the file. */
export function joinKeyPath(parent: string, key: string): string {
  const segment = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return segment;
  return segment.startsWith('"') ? `${parent}[${segment}]` : `${parent}.${segment}`;
}

/** A value as a problem shows it: `0 (a number)`, `a list`, `"x" (a string)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const shown = JSON.stringify(value);
  const short = shown.length > 40 ? `${shown.slice(0, 37)}...` : shown;
  return `${short} (a ${typeof value})`;
}

/** RFC 6901 pointer (`/packages/a~1b`) → keys (`["packages", "a/b"]`). */
function pointerKeys(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function keyPath(keys: readonly string[]): string {
  return keys.reduce(joinKeyPath, '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(document: unknown, keys: readonly string[]): unknown {
  let value = document;
  for (const key of keys) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/**
 * What a schema node accepts, in words: `a number > 0 and ≤ 1`, `"switch" or "notify"`.
 * A `null` alternative is left out: the fix says when null is allowed.
 */
export function describeSchema(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) {
    const variants = (schema.anyOf as TSchema[]).filter((variant) => variant.type !== 'null');
    return listWords((variants.length > 0 ? variants : (schema.anyOf as TSchema[])).map(describeSchema));
  }
  if ('const' in schema) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'number':
    case 'integer': {
      const bounds = [
        typeof schema.minimum === 'number' ? `≥ ${schema.minimum}` : undefined,
        typeof schema.exclusiveMinimum === 'number' ? `> ${schema.exclusiveMinimum}` : undefined,
        typeof schema.maximum === 'number' ? `≤ ${schema.maximum}` : undefined,
        typeof schema.exclusiveMaximum === 'number' ? `< ${schema.exclusiveMaximum}` : undefined,
      ].filter((bound): bound is string => bound !== undefined);
      return `${schema.type === 'integer' ? 'a whole number' : 'a number'} ${bounds.join(' and ')}`.trimEnd();
    }
    case 'string':
      return typeof schema.minLength === 'number' && schema.minLength > 0 ? 'a non-empty string' : 'a string';
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    default:
      return 'something else';
  }
}

function unknownKeyProblem(schema: Node, keys: readonly string[]): ConfigProblem {
  const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  const key = keys.at(-1) ?? '';
  const guess = suggestName(key, known);
  return {
    path: keyPath(keys),
    message: 'unknown key',
    fix: guess
      ? `did you mean "${guess}"? (keys here: ${known.join(', ')})`
      : `remove it; the keys here are: ${known.join(', ')}`,
  };
}

/** Every key of a name-keyed map that its pattern rejects (the validator stops at the first). */
function badNameProblems(schema: Node, document: unknown, mapKeys: readonly string[]): ConfigProblem[] {
  const patterns = Object.keys((schema.patternProperties as Record<string, unknown> | undefined) ?? {}).map(
    (p) => new RegExp(p),
  );
  const map = valueAt(document, mapKeys);
  if (!isPlainObject(map)) return [];
  return Object.keys(map)
    .filter((key) => !patterns.some((pattern) => pattern.test(key)))
    .map((key) => ({
      path: keyPath([...mapKeys, key]),
      message: `${JSON.stringify(key)} is not a valid ${schema.keyTitle ?? 'name'}`,
      fix: schema.keyFix ?? schema.fix ?? FALLBACK_FIX,
    }));
}

function problemsOf(error: ValueError, document: unknown): ConfigProblem[] {
  const schema = error.schema as Node;
  const keys = pointerKeys(error.path);
  // `true or { ... }` written as an object: what is wrong inside the object says more than "must be true or an object".
  const objectVariant = Array.isArray(schema.anyOf)
    ? (schema.anyOf as Node[]).find((variant) => variant.type === 'object')
    : undefined;
  if (error.type === ValueErrorType.Union && objectVariant && isPlainObject(error.value)) {
    return [...Value.Errors(objectVariant, error.value)].flatMap((inner) =>
      problemsOf({ ...inner, path: `${error.path}${inner.path}` }, document),
    );
  }
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    return schema.patternProperties
      ? badNameProblems(schema, document, keys.slice(0, -1))
      : [unknownKeyProblem(schema, keys)];
  }
  const message =
    error.type === ValueErrorType.StringPattern
      ? `${JSON.stringify(error.value)} is not a valid name here`
      : `must be ${describeSchema(schema)}, not ${describeValue(error.value)}`;
  return [{ path: keyPath(keys), message, fix: schema.fix ?? FALLBACK_FIX }];
}

export interface SchemaCheck<T> {
  /** One per place in the file, in the order the validator found them. */
  problems: ConfigProblem[];
  /**
   * The document without the keys that have problems (unknown keys, bad values,
   * bad names), so it fits the schema; undefined when the whole document does not.
   */
  valid: T | undefined;
}

function removeAt(document: unknown, keys: readonly string[]): boolean {
  const parent = valueAt(document, keys.slice(0, -1));
  const key = keys.at(-1);
  if (key === undefined || !isPlainObject(parent) || !Object.hasOwn(parent, key)) return false;
  delete parent[key];
  return true;
}

/** Checks a parsed JSON document against the schema; never throws. */
export function checkAgainstSchema<T extends TSchema>(schema: T, document: unknown): SchemaCheck<Static<T>> {
  let errors = [...Value.Errors(schema, document)];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    for (const problem of problemsOf(error, document)) {
      if (seen.has(problem.path)) continue;
      seen.add(problem.path);
      problems.push(problem);
    }
  }
  // Each pass removes at least one key, so this ends; a failing root ends it at once.
  const pruned: unknown = structuredClone(document);
  while (errors.length > 0) {
    let removed = false;
    for (const error of errors) {
      const keys = pointerKeys(error.path);
      if (keys.length === 0) return { problems, valid: undefined };
      removed = removeAt(pruned, keys) || removed;
    }
    if (!removed) return { problems, valid: undefined };
    errors = [...Value.Errors(schema, pruned)];
  }
  return { problems, valid: pruned as Static<T> };
}
