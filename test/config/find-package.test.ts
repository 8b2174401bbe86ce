import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findPackage } from '../../src/config/find-package.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { exitCodeFor, InputError } from '../../src/errors/errors.js';

const config = parseConfig({
  text: JSON.stringify({ nixFile: '/p.nix', packages: { hello: {}, lua: { attr: 'lua5_4' } } }),
  file: '/c/config.json',
  env: { HOME: '/home/u' },
});

describe('findPackage', () => {
  it('returns the package by name', () => {
    assert.equal(findPackage(config, 'lua').attr, 'lua5_4');
  });

  it('fails with a usage error that suggests the closest name and lists all', () => {
    assert.throws(
      () => findPackage(config, 'helo'),
      (error: unknown) =>
        error instanceof InputError &&
        exitCodeFor(error) === 64 &&
        error.message === 'helo is not a managed package in /c/config.json' &&
        error.hints.includes('did you mean hello?') &&
        error.hints.includes('managed packages: hello, lua'),
    );
  });
});
