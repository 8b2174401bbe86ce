/**
 * Nix's signatures of store paths, checked here rather than by Nix: Nix
 * accepts a content-addressed path (a profile, a fleet record, a fleet lock)
 * from any binary cache without asking who signed it, so who wrote one is
 * known only from the Ed25519 signature its narinfo carries. The signed text
 * is Nix's fingerprint of the path, `1;PATH;sha256:NARHASH;NARSIZE;REFS`,
 * and keys are `name:base64` as `nix-store --generate-binary-cache-key`
 * writes them. Pure: text in, value out.
 */
import { createPrivateKey, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { InputError } from '../errors/errors.js';

/** Nix's base-32 alphabet (no e, o, t, u). */
const BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** Bytes in Nix's base-32 form, as in `sha256:<base32>` hashes. */
export function toNixBase32(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  let out = '';
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    const low = bytes[i]! >> j;
    const high = i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0;
    out += BASE32[(low | high) & 0x1f];
  }
  return out;
}

/** Nix's base-32 text back to bytes (the inverse of toNixBase32); throws on a character outside the alphabet. */
export function fromNixBase32(text: string): Uint8Array {
  const bytes = new Uint8Array(Math.floor((text.length * 5) / 8));
  for (let n = 0; n < text.length; n++) {
    const digit = BASE32.indexOf(text[text.length - 1 - n]!);
    if (digit < 0) throw new InputError('PROFILE_INVALID', `${JSON.stringify(text)} is not in Nix's base-32 form`);
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    if (i < bytes.length) bytes[i] = bytes[i]! | ((digit << j) & 0xff);
    if (i + 1 < bytes.length) bytes[i + 1] = bytes[i + 1]! | (digit >> (8 - j));
  }
  return bytes;
}

/** A SHA-256 hash as Nix prints it anywhere (`sha256-<base64>`, `sha256:<base32>` or `sha256:<hex>`), as `sha256:<base32>`. */
export function normalizeSha256(hash: string): string {
  const sri = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(hash);
  if (sri) return `sha256:${toNixBase32(Buffer.from(sri[1]!, 'base64'))}`;
  const hex = /^sha256:([0-9a-f]{64})$/.exec(hash);
  if (hex) return `sha256:${toNixBase32(Buffer.from(hex[1]!, 'hex'))}`;
  if (/^sha256:[0-9a-df-np-sv-z]{52}$/.test(hash)) return hash;
  throw new InputError('PROFILE_INVALID', `${JSON.stringify(hash)} is not a SHA-256 hash as Nix writes one`);
}

/** What a path's signature covers: Nix's fingerprint of it. */
export interface PathInfo {
  path: string;
  /** Any form normalizeSha256 reads. */
  narHash: string;
  narSize: number;
  references: readonly string[];
  /** `name:base64`, as Nix stores them. */
  signatures: readonly string[];
}

/** The text Nix signs for a store path (ValidPathInfo::fingerprint); references sorted as Nix keeps them. */
export function pathFingerprint(info: Omit<PathInfo, 'signatures'>): string {
  return `1;${info.path};${normalizeSha256(info.narHash)};${info.narSize};${[...info.references].sort().join(',')}`;
}

/** A public key as Nix writes it: the key's name (who signs) and its Ed25519 key. */
export interface NixPublicKey {
  name: string;
  /** `name:base64`, as written. */
  text: string;
  key: KeyObject;
}

const KEY_TEXT = /^([^:\s]+):([A-Za-z0-9+/]+={0,2})$/;

/** Parses `name:base64` (a public key file's content, trimmed); throws an InputError naming `where`. */
export function parsePublicKey(text: string, where: string): NixPublicKey {
  const match = KEY_TEXT.exec(text.trim());
  const raw = match ? Buffer.from(match[2]!, 'base64') : null;
  if (!match || raw === null || raw.length !== 32)
    throw new InputError('CONFIG_INVALID', `${where}: ${JSON.stringify(text.trim())} is not a Nix public key`, {
      hints: ['give the content of the .pub file `nix-store --generate-binary-cache-key NAME SECRET PUBLIC` wrote'],
    });
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  return { name: match[1]!, text: `${match[1]}:${match[2]}`, key };
}

/**
 * The public key of a secret key as Nix writes it (`name:base64` of the 32-byte seed and the 32-byte public key),
 * so a machine's own public key needs no second setting.
 */
export function publicKeyOfSecret(text: string, where: string): NixPublicKey {
  const match = KEY_TEXT.exec(text.trim());
  const raw = match ? Buffer.from(match[2]!, 'base64') : null;
  if (!match || raw === null || raw.length !== 64)
    throw new InputError('CONFIG_INVALID', `${where} is not a Nix secret key`, {
      hints: ['give the secret key file `nix-store --generate-binary-cache-key NAME SECRET PUBLIC` wrote'],
    });
  // The seed's own public key must be the one the file carries, or the file is damaged.
  const derived = createPublicKey(
    createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: raw.subarray(0, 32).toString('base64url'),
        x: raw.subarray(32).toString('base64url'),
      },
      format: 'jwk',
    }),
  );
  return parsePublicKey(
    `${match[1]}:${Buffer.from(derived.export({ format: 'jwk' }).x!, 'base64url').toString('base64')}`,
    where,
  );
}

/** Whether `info` carries a valid signature by `key` (under the key's own name). */
export function isSignedBy(info: PathInfo, key: NixPublicKey): boolean {
  const fingerprint = Buffer.from(pathFingerprint(info));
  for (const signature of info.signatures) {
    const colon = signature.indexOf(':');
    if (colon < 0 || signature.slice(0, colon) !== key.name) continue;
    const bytes = Buffer.from(signature.slice(colon + 1), 'base64');
    if (bytes.length === 64 && verify(null, fingerprint, key.key, bytes)) return true;
  }
  return false;
}
