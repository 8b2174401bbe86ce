/**
 * Looks up a managed package by the name a user typed on the command line.
 */
import { InputError } from '../errors/errors.js';
import { suggestName } from '../suggest/suggest-name.js';
import type { Config, PackageConfig } from './config-types.js';

export function findPackage(config: Config, name: string): PackageConfig {
  const found = config.packages.find((p) => p.name === name);
  if (found) return found;
  const names = config.packages.map((p) => p.name);
  const guess = suggestName(name, names);
  const where = config.file ?? 'the config';
  throw new InputError('USAGE', `${name} is not a managed package in ${where}`, {
    hints: [
      ...(guess ? [`did you mean ${guess}?`] : []),
      names.length > 0
        ? `managed packages: ${names.join(', ')}`
        : `no packages are managed yet; add one under "packages" in ${where}`,
    ],
  });
}
