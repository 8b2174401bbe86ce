/**
 * The config schema has one definition (src/config/config-schema.ts); the
 * committed schema/config.schema.json is generated from it, and the checks
 * and messages come from it. These tests fail when the file is stale, when a
 * field lacks its fix, or when the checks stop following the schema.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONFIG_SCHEMA_PATH, renderConfigSchemaFile } from '../../src/config/config-schema-file.js';
import { ConfigFileSchema, CUSTOM_KEYWORDS } from '../../src/config/config-schema.js';
import { checkConfigText } from '../../src/config/parse-config.js';
import { describeSchema } from '../../src/config/schema-problems.js';

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  anyOf?: SchemaNode[];
  default?: unknown;
  const?: unknown;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  fix?: string;
  keyTitle?: string;
  keyFix?: string;
}

// From dist/test/unit/ back to the repository root.
const committed = readFileSync(new URL(`../../../${CONFIG_SCHEMA_PATH}`, import.meta.url), 'utf8');
const schema = JSON.parse(committed) as SchemaNode;

function child(node: SchemaNode, key: string): SchemaNode {
  const found = node.properties?.[key];
  assert.ok(found, `schema has no property ${key}`);
  return found;
}

const policy = child(schema, 'policy');
const retry = child(policy, 'retry');
const packages = child(schema, 'packages');
const [packagePattern, pkg] = Object.entries(packages.patternProperties ?? {})[0] ?? [];

function check(document: unknown) {
  return checkConfigText({ text: JSON.stringify(document), file: '/c/config.json', env: { HOME: '/home/u' } });
}

function accepts(document: unknown): boolean {
  return check(document).problems.length === 0;
}

/** Every schema node below `node` with where it is, objects and their fields alike. */
function* walk(node: SchemaNode, where: string): Generator<[string, SchemaNode]> {
  yield [where, node];
  for (const [key, value] of Object.entries(node.properties ?? {})) yield* walk(value, `${where}.${key}`);
  for (const value of Object.values(node.patternProperties ?? {})) yield* walk(value, `${where}.NAME`);
}

describe('schema/config.schema.json', () => {
  it('is what the definition generates (run `npm run schema` after changing src/config/config-schema.ts)', () => {
    assert.equal(committed, renderConfigSchemaFile());
  });

  it('is plain JSON Schema: no nix-pgo keywords, unknown keys forbidden in every object', () => {
    for (const [where, node] of walk(schema, 'root')) {
      for (const keyword of CUSTOM_KEYWORDS) assert.equal(keyword in node, false, `${where} has ${keyword}`);
      if (node.type === 'object') assert.equal(node.additionalProperties, false, `${where} must forbid unknown keys`);
    }
    assert.ok(pkg, 'packages are keyed by a name pattern');
  });
});

describe('the config schema definition', () => {
  it('gives every field and every object a fix, and a name map its key fix', () => {
    let fields = 0;
    for (const [where, node] of walk(ConfigFileSchema as unknown as SchemaNode, 'root')) {
      assert.equal(typeof node.fix, 'string', `${where} has no fix`);
      if (node.patternProperties) assert.ok(node.keyTitle && node.keyFix, `${where} needs keyTitle and keyFix`);
      fields++;
    }
    assert.ok(fields > 20, `walked ${fields} nodes`);
  });

  it('describes what a node accepts in words', () => {
    const { policy: policyField, version, stateDir } = ConfigFileSchema.properties;
    const { convergence, minRuns, onReady } = policyField.properties;
    assert.equal(describeSchema(convergence), 'a number > 0 and ≤ 1');
    assert.equal(describeSchema(minRuns), 'a whole number ≥ 0');
    assert.equal(describeSchema(onReady), '"switch" or "notify"');
    assert.equal(describeSchema(version), '1');
    assert.equal(describeSchema(stateDir), 'a non-empty string');
    assert.equal(describeSchema(policyField), 'an object');
  });
});

describe('the checks follow the schema', () => {
  it('has the numeric bounds and integer rules of the schema', () => {
    // A retry bound is probed with the other retry field set so that the pair stays consistent.
    const partner: Record<string, object> = {
      initialDelaySeconds: { maxDelaySeconds: 1e9 },
      maxDelaySeconds: { initialDelaySeconds: 1e-4 },
    };
    const fields = [
      ...Object.entries(policy.properties ?? {}).map(([key, node]) => ({
        key,
        node,
        at: (value: unknown) => ({ [key]: value }),
      })),
      ...Object.entries(retry.properties ?? {}).map(([key, node]) => ({
        key,
        node,
        at: (value: unknown) => ({ retry: { ...partner[key], [key]: value } }),
      })),
    ];
    let probed = 0;
    for (const { key, node: field, at } of fields) {
      const nullable = field.anyOf?.some((variant) => variant.type === 'null') ?? false;
      const node = field.anyOf?.find((variant) => variant.type !== 'null') ?? field;
      const types = [node.type].flat();
      if (!types.includes('number') && !types.includes('integer')) continue;
      probed++;
      if (node.exclusiveMinimum !== undefined) {
        assert.equal(accepts({ policy: at(node.exclusiveMinimum) }), false, `${key} = exclusiveMinimum`);
        assert.equal(accepts({ policy: at(node.exclusiveMinimum + 0.5) }), true, `${key} above exclusiveMinimum`);
      }
      if (node.minimum !== undefined) {
        assert.equal(accepts({ policy: at(node.minimum) }), true, `${key} = minimum`);
        assert.equal(accepts({ policy: at(node.minimum - 1) }), false, `${key} below minimum`);
      }
      if (node.maximum !== undefined) {
        assert.equal(accepts({ policy: at(node.maximum) }), true, `${key} = maximum`);
        assert.equal(accepts({ policy: at(node.maximum + 0.5) }), false, `${key} above maximum`);
      }
      const inside = node.maximum !== undefined ? node.maximum / 2 : types.includes('integer') ? 2 : 2.5;
      assert.equal(accepts({ policy: at(inside) }), true, `${key} in range`);
      if (types.includes('integer')) assert.equal(accepts({ policy: at(2.5) }), false, `${key} must be whole`);
      assert.equal(accepts({ policy: at(null) }), nullable, `${key} null`);
      assert.equal(accepts({ policy: at('2') }), false, `${key} as a string`);
    }
    assert.equal(probed, 8, 'every numeric policy field was probed');
  });

  it('has the name patterns of the schema for packages, attributes and profile arguments', () => {
    const namePattern = new RegExp(packagePattern ?? '');
    const attrPattern = new RegExp(child(pkg as SchemaNode, 'attr').pattern ?? '');
    const argPattern = new RegExp(child(pkg as SchemaNode, 'profileArg').pattern ?? '');
    const names = [
      'hello',
      '_x',
      "g'",
      'lua5_4',
      'a-b',
      '5x',
      'a.b',
      'a b',
      '',
      'python3Packages.numpy',
      'a..b',
      '.a',
      'a.',
    ];
    for (const name of names) {
      assert.equal(
        accepts({ nixFile: '/p.nix', packages: { [name]: {} } }),
        namePattern.test(name),
        `package name ${JSON.stringify(name)}`,
      );
      assert.equal(
        accepts({ nixFile: '/p.nix', packages: { p: { attr: name } } }),
        attrPattern.test(name),
        `attr ${JSON.stringify(name)}`,
      );
      assert.equal(accepts({ profileArg: name }), argPattern.test(name), `profileArg ${JSON.stringify(name)}`);
    }
  });

  it('has the onReady values of the schema', () => {
    const values = child(policy, 'onReady').anyOf?.map((variant) => variant.const) ?? [];
    assert.deepEqual(values, ['switch', 'notify']);
    for (const value of values) assert.ok(accepts({ policy: { onReady: value } }), String(value));
    assert.equal(accepts({ policy: { onReady: 'build' } }), false);
  });

  it('words each problem from the schema node, with its fix', () => {
    const problems = Object.fromEntries(
      check({
        version: 2,
        policy: { convergence: 1.5, onReady: 'build', minRuns: -2, retry: [] },
        notify: { hook: '' },
        packages: { 'a b': {}, '1x': {}, ok: { nixFile: '/p.nix', attr: 'x y' } },
      }).problems.map((p) => [p.path, p]),
    );
    assert.deepEqual(problems.version, {
      path: 'version',
      message: 'must be 1, not 2 (a number)',
      fix: 'write "version": 1 or leave it out',
    });
    assert.equal(problems['policy.convergence']?.message, 'must be a number > 0 and ≤ 1, not 1.5 (a number)');
    assert.match(problems['policy.convergence']?.fix ?? '', /or null/);
    assert.equal(problems['policy.onReady']?.message, 'must be "switch" or "notify", not "build" (a string)');
    assert.equal(problems['policy.minRuns']?.message, 'must be a whole number ≥ 0, not -2 (a number)');
    assert.equal(problems['policy.retry']?.message, 'must be an object, not a list');
    assert.match(problems['policy.retry']?.fix ?? '', /^write it as \{ "initialDelaySeconds"/);
    assert.equal(problems['notify.hook']?.message, 'must be a non-empty string, not "" (a string)');
    assert.equal(problems['packages.ok.attr']?.message, '"x y" is not a valid name here');
    // The validator stops at the first bad key of a map; every bad name is still reported.
    assert.equal(problems['packages["a b"]']?.message, '"a b" is not a valid package name');
    assert.equal(problems['packages["1x"]']?.message, '"1x" is not a valid package name');
    assert.match(problems['packages["1x"]']?.fix ?? '', /Nix attribute name/);
  });
});
