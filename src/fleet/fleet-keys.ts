/**
 * The keys of a fleet, read when a round starts (a key file may be readable
 * by the daemon's user only, so reading the config never needs it): this
 * machine's own (its name is the machine's name), the aggregator's, and on
 * the aggregator the machines'.
 */
import { readFileSync } from 'node:fs';
import type { FleetConfig, KeySource } from '../config/config-types.js';
import { InputError } from '../errors/errors.js';
import { type NixPublicKey, parsePublicKey, publicKeyOfSecret } from '../formats/nix-signature.js';
import { MACHINE_NAME_PATTERN } from './fleet-documents.js';

export interface FleetKeys {
  /** This machine's public key; its name is the machine's name. */
  self: NixPublicKey;
  aggregator: NixPublicKey;
  /** By machine name (the aggregator's own key among them); empty on a member. */
  machines: Map<string, NixPublicKey>;
}

function readKeyFile(file: string, where: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(
      'CONFIG_INVALID',
      `${where}: ${file} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      {
        hints: ['the key files must be readable by the user the daemon runs as'],
      },
    );
  }
}

function loadPublicKey(source: KeySource, where: string): NixPublicKey {
  return 'key' in source ? parsePublicKey(source.key, where) : parsePublicKey(readKeyFile(source.file, where), where);
}

function requireMachineName(key: NixPublicKey, where: string): NixPublicKey {
  if (!new RegExp(MACHINE_NAME_PATTERN).test(key.name))
    throw new InputError('CONFIG_INVALID', `${where}: the key's name "${key.name}" cannot name a machine`, {
      hints: ['name keys with letters, digits and . _ + -, e.g. nix-store --generate-binary-cache-key m1 …'],
    });
  return key;
}

export function loadFleetKeys(fleet: FleetConfig): FleetKeys {
  const self = requireMachineName(
    publicKeyOfSecret(readKeyFile(fleet.secretKeyFile, 'fleet.secretKeyFile'), fleet.secretKeyFile),
    'fleet.secretKeyFile',
  );
  const aggregator = fleet.aggregatorKey ? loadPublicKey(fleet.aggregatorKey, 'fleet.aggregatorKey') : self;
  if (fleet.role === 'aggregator' && aggregator.text !== self.text)
    throw new InputError(
      'CONFIG_INVALID',
      `fleet.aggregatorKey: on the aggregator it must be its own key, ${self.text}`,
      {
        hints: ['leave fleet.aggregatorKey out on the aggregator'],
      },
    );
  const machines = new Map<string, NixPublicKey>();
  if (fleet.role === 'aggregator') {
    machines.set(self.name, self);
    fleet.machineKeys.forEach((source, i) => {
      const where = `fleet.machineKeys[${i}]`;
      const key = requireMachineName(loadPublicKey(source, where), where);
      const known = machines.get(key.name);
      if (known && known.text !== key.text)
        throw new InputError('CONFIG_INVALID', `${where}: two keys are named ${key.name}`, {
          hints: ["a key's name is its machine's name in the fleet: give each machine its own name"],
        });
      machines.set(key.name, key);
    });
  }
  return { self, aggregator, machines };
}
