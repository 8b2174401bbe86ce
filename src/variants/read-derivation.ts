// The store derivation (.drv) of a variant, read from the store: its outputs and the package it builds.
import { readFileSync } from 'node:fs';
import { describeDerivation, parseDerivation, type Derivation } from '../formats/derivation.js';
import type { PackageOrigin } from '../model/lifecycle-record.js';

export function readDerivation(drvPath: string): Derivation {
  return parseDerivation(readFileSync(drvPath, 'utf8'), drvPath);
}

/** A derivation as a variant's origin: its path, and the name and version of the package. */
export function originOf(drvPath: string, drv: Derivation = readDerivation(drvPath)): PackageOrigin {
  return { drvPath, ...describeDerivation(drv) };
}
