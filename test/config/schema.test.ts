/**
 * schema/config.schema.json and the parser must describe the same file: the
 * same keys, defaults, enums and bounds. These tests fail when one drifts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_POLICY, DEFAULT_PROFILE_ARG } from '../../src/config/defaults.js';
import { checkConfigText, CONFIG_KEYS, CONFIG_VERSION } from '../../src/config/parse-config.js';

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  $ref?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  definitions?: Record<string, SchemaNode>;
}

// From dist/test/unit/ back to the repository root.
const schema = JSON.parse(readFileSync(new URL('../../../schema/config.schema.json', import.meta.url), 'utf8')) as SchemaNode;

function resolve(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  const target = schema.definitions?.[name];
  assert.ok(target, `unresolved $ref ${node.$ref}`);
  return target;
}

function child(node: SchemaNode, key: string): SchemaNode {
  const found = node.properties?.[key];
  assert.ok(found, `schema has no property ${key}`);
  return resolve(found);
}

const root = schema;
const policy = child(root, 'policy');
const retry = child(policy, 'retry');
const notify = child(root, 'notify');
const pkg = resolve(root.properties?.['packages']?.additionalProperties as SchemaNode);

function accepts(document: unknown): boolean {
  return checkConfigText({ text: JSON.stringify(document), file: '/c/config.json', env: { HOME: '/home/u' } }).problems.length === 0;
}

describe('config schema agrees with the parser', () => {
  it('lists the same keys for every object and forbids others', () => {
    const objects: [string, SchemaNode, readonly string[]][] = [
      ['root', root, CONFIG_KEYS.root],
      ['policy', policy, CONFIG_KEYS.policy],
      ['retry', retry, CONFIG_KEYS.retry],
      ['notify', notify, CONFIG_KEYS.notify],
      ['package', pkg, CONFIG_KEYS.package],
    ];
    for (const [name, node, keys] of objects) {
      assert.deepEqual(Object.keys(node.properties ?? {}).sort(), [...keys].sort(), name);
      assert.equal(node.additionalProperties, false, `${name} must forbid unknown keys, as the parser does`);
    }
  });

  it('has the parser defaults', () => {
    for (const key of CONFIG_KEYS.policy.filter((k) => k !== 'retry')) {
      assert.deepEqual(child(policy, key).default, DEFAULT_POLICY[key], key);
    }
    for (const key of CONFIG_KEYS.retry) assert.equal(child(retry, key).default, DEFAULT_POLICY.retry[key], key);
    assert.equal(child(root, 'profileArg').default, DEFAULT_PROFILE_ARG);
    assert.equal(child(notify, 'hook').default, null);
    assert.equal(child(root, 'version').const, CONFIG_VERSION);
  });

  it('has the same onReady values', () => {
    const values = child(policy, 'onReady').enum ?? [];
    assert.ok(values.length > 0);
    for (const value of values) assert.ok(accepts({ policy: { onReady: value } }), String(value));
    assert.equal(accepts({ policy: { onReady: 'build' } }), false);
  });

  it('has the same numeric bounds and integer rules', () => {
    // A retry bound is probed with the other retry field set so that the pair stays consistent.
    const partner: Record<string, object> = { initialDelaySeconds: { maxDelaySeconds: 1e9 }, maxDelaySeconds: { initialDelaySeconds: 1e-4 } };
    const fields = [
      ...Object.entries(policy.properties ?? {}).map(([key, node]) => ({ key, node: resolve(node), at: (value: unknown) => ({ [key]: value }) })),
      ...Object.entries(retry.properties ?? {}).map(([key, node]) => ({ key, node: resolve(node), at: (value: unknown) => ({ retry: { ...partner[key], [key]: value } }) })),
    ];
    let probed = 0;
    for (const { key, node, at } of fields) {
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
      assert.equal(accepts({ policy: at(null) }), types.includes('null'), `${key} null`);
      assert.equal(accepts({ policy: at('2') }), false, `${key} as a string`);
    }
    assert.equal(probed, 6, 'every numeric policy field was probed');
  });

  it('has the same name patterns for packages, attributes and profile arguments', () => {
    const namePattern = new RegExp(resolve(root.properties?.['packages']?.propertyNames as SchemaNode).pattern ?? '');
    const attrPattern = new RegExp(child(pkg, 'attr').pattern ?? '');
    const argPattern = new RegExp(child(pkg, 'profileArg').pattern ?? '');
    const names = ['hello', '_x', "g'", 'lua5_4', 'a-b', '5x', 'a.b', 'a b', '', 'python3Packages.numpy', 'a..b', '.a', 'a.'];
    for (const name of names) {
      const document = { nixFile: '/p.nix', packages: { [name]: {} } };
      assert.equal(accepts(document), namePattern.test(name), `package name ${JSON.stringify(name)}`);
      assert.equal(accepts({ nixFile: '/p.nix', packages: { p: { attr: name } } }), attrPattern.test(name), `attr ${JSON.stringify(name)}`);
      assert.equal(accepts({ profileArg: name }), argPattern.test(name), `profileArg ${JSON.stringify(name)}`);
    }
  });
});
