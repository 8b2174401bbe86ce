/** Nix's signatures of store paths, checked without Nix: hashes in its forms, its keys, its fingerprint. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { InputError } from '../../src/errors/errors.js';
import {
  fromNixBase32,
  isSignedBy,
  normalizeSha256,
  parsePublicKey,
  type PathInfo,
  pathFingerprint,
  publicKeyOfSecret,
  toNixBase32,
} from '../../src/formats/nix-signature.js';

/** SHA-256 of no bytes, as `nix-hash --type sha256 --to-base32` prints it. */
const EMPTY_BASE32 = '0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73';
const EMPTY_HEX = createHash('sha256').update('').digest('hex');

/** A key pair as `nix-store --generate-binary-cache-key NAME` writes it: name:base64(seed ‖ public), name:base64(public). */
function nixKeyPair(name: string): { secret: string; public: string; privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  return {
    secret: `${name}:${Buffer.concat([seed, pub]).toString('base64')}`,
    public: `${name}:${pub.toString('base64')}`,
    privateKey,
  };
}

const INFO: Omit<PathInfo, 'signatures'> = {
  path: '/nix/store/0c1wqyq7cqvf4f2bs0c1ab4rs5dh3zl4-nix-pgo-record-m1.json',
  narHash: `sha256-${Buffer.from(EMPTY_HEX, 'hex').toString('base64')}`,
  narSize: 1234,
  references: ['/nix/store/b-two', '/nix/store/a-one'],
};

describe('Nix hashes', () => {
  it("writes and reads Nix's base-32 form, and reads a SHA-256 in every form Nix prints", () => {
    assert.equal(toNixBase32(Buffer.from(EMPTY_HEX, 'hex')), EMPTY_BASE32);
    assert.equal(Buffer.from(fromNixBase32(EMPTY_BASE32)).toString('hex'), EMPTY_HEX);
    assert.equal(normalizeSha256(`sha256:${EMPTY_HEX}`), `sha256:${EMPTY_BASE32}`);
    assert.equal(normalizeSha256(INFO.narHash), `sha256:${EMPTY_BASE32}`);
    assert.equal(normalizeSha256(`sha256:${EMPTY_BASE32}`), `sha256:${EMPTY_BASE32}`);
    assert.throws(() => normalizeSha256('md5:abc'), InputError);
    assert.throws(() => fromNixBase32('e'), /not in Nix's base-32 form/);
  });

  it('is the text Nix signs: version, path, base-32 NAR hash, size, sorted references', () => {
    assert.equal(pathFingerprint(INFO), `1;${INFO.path};sha256:${EMPTY_BASE32};1234;/nix/store/a-one,/nix/store/b-two`);
  });
});

describe('Nix keys and signatures', () => {
  const m1 = nixKeyPair('m1');
  const signature = (privateKey: KeyObject, name: string, info = INFO) =>
    `${name}:${sign(null, Buffer.from(pathFingerprint(info)), privateKey).toString('base64')}`;

  it('gives the public key of a secret key file, the one its .pub file has', () => {
    const fromSecret = publicKeyOfSecret(m1.secret, '/etc/nix-pgo/m1.sec');
    assert.equal(fromSecret.name, 'm1');
    assert.equal(fromSecret.text, m1.public);
    assert.equal(parsePublicKey(`${m1.public}\n`, 'fleet.aggregatorKey').text, m1.public);
  });

  it('names the setting and the fix when a key is not one', () => {
    assert.throws(
      () => parsePublicKey('m1:c2hvcnQ=', 'fleet.machineKeys[0]'),
      (error: InputError) =>
        /^fleet\.machineKeys\[0\]: "m1:c2hvcnQ=" is not a Nix public key$/.test(error.message) &&
        /generate-binary-cache-key/.test(error.hints.join('')),
    );
    assert.throws(
      () => publicKeyOfSecret(m1.public, '/etc/nix-pgo/m1.sec'),
      /\/etc\/nix-pgo\/m1\.sec is not a Nix secret key/,
    );
  });

  it('counts a signature only by the named key over exactly this path', () => {
    const key = parsePublicKey(m1.public, 'k');
    const signed = { ...INFO, signatures: ['other:AAAA', signature(m1.privateKey, 'm1')] };
    assert.equal(isSignedBy(signed, key), true);
    assert.equal(isSignedBy({ ...signed, narSize: 1235 }, key), false, 'another size');
    assert.equal(isSignedBy({ ...signed, references: [] }, key), false, 'other references');
    assert.equal(
      isSignedBy({ ...INFO, signatures: [signature(m1.privateKey, 'm2')] }, key),
      false,
      'under another name',
    );
    const forger = nixKeyPair('m1');
    assert.equal(isSignedBy({ ...INFO, signatures: [signature(forger.privateKey, 'm1')] }, key), false, 'another m1');
    assert.equal(isSignedBy({ ...INFO, signatures: [] }, key), false);
  });
});
