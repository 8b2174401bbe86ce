/**
 * The fleet's binary cache: store paths travel with `nix copy`, and the small
 * mutable pointers beside it (nix-pgo/…) with the cache's own transport: a
 * file for file://, GET and PUT for http(s)://. A path fetched from the
 * cache counts only with a valid signature by the key its role requires,
 * checked here (Nix asks for none on content-addressed paths), and only when
 * the content Nix imported is the content that was signed.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../durable/durable-file.js';
import { ToolError } from '../errors/errors.js';
import { isSignedBy, type NixPublicKey, normalizeSha256 } from '../formats/nix-signature.js';
import { copyFrom, queryPathInfo } from '../tools/nix.js';

/** How long one request for a pointer may take. */
const POINTER_TIMEOUT_MS = 30_000;

/** Where a pointer lives beside the cache, e.g. `machines/m1.json` → `<cache>/nix-pgo/machines/m1.json`. */
function pointerLocation(cache: string, name: string): { file: string } | { url: string } {
  if (cache.startsWith('file://')) return { file: join(fileURLToPath(cache), 'nix-pgo', name) };
  return { url: `${cache}/nix-pgo/${name}` };
}

function cacheError(cache: string, what: string, cause: unknown): ToolError {
  const why =
    cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
  return new ToolError('TOOL_FAILED', 'binary cache', `${what} at ${cache} failed: ${why}`, {
    hints: ['the data stays here; the next round tries again'],
    cause,
  });
}

/** A pointer's text, or null when there is none. */
export async function readPointer(cache: string, name: string): Promise<string | null> {
  const where = pointerLocation(cache, name);
  if ('file' in where) {
    try {
      return readFileSync(where.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw cacheError(cache, `reading nix-pgo/${name}`, error);
    }
  }
  let response: Response;
  try {
    response = await fetch(where.url, { signal: AbortSignal.timeout(POINTER_TIMEOUT_MS) });
  } catch (error) {
    throw cacheError(cache, `GET nix-pgo/${name}`, error);
  }
  if (response.status === 404) return null;
  if (!response.ok) throw cacheError(cache, `GET nix-pgo/${name}`, new Error(`HTTP ${response.status}`));
  return response.text();
}

/** Writes a pointer (a file replaced atomically, or a PUT). */
export async function writePointer(cache: string, name: string, text: string): Promise<void> {
  const where = pointerLocation(cache, name);
  if ('file' in where) {
    try {
      mkdirSync(dirname(where.file), { recursive: true });
      writeFileAtomic(where.file, text);
    } catch (error) {
      throw cacheError(cache, `writing nix-pgo/${name}`, error);
    }
    return;
  }
  let response: Response;
  try {
    response = await fetch(where.url, {
      method: 'PUT',
      body: text,
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(POINTER_TIMEOUT_MS),
    });
  } catch (error) {
    throw cacheError(cache, `PUT nix-pgo/${name}`, error);
  }
  if (!response.ok) throw cacheError(cache, `PUT nix-pgo/${name}`, new Error(`HTTP ${response.status}`));
}

/**
 * Copies `paths` from the cache into the local store, each only if the cache has it signed by `signer(path)`;
 * returns, per path, null once it is here with the content that was signed, or what is wrong with it.
 * Throws only when the cache cannot be asked at all.
 */
export async function fetchSigned(
  cache: string,
  paths: readonly string[],
  signer: (path: string) => NixPublicKey,
): Promise<Map<string, string | null>> {
  const result = new Map<string, string | null>();
  if (paths.length === 0) return result;
  const infos = await queryPathInfo(paths, { store: cache });
  const signed = new Map<string, string>();
  paths.forEach((path, i) => {
    const info = infos[i];
    const key = signer(path);
    if (!info) result.set(path, 'not in the cache');
    else if (!isSignedBy(info, key)) result.set(path, `not signed by ${key.name}'s key`);
    else signed.set(path, normalizeSha256(info.narHash));
  });
  const wanted = [...signed.keys()];
  try {
    await copyFrom(cache, wanted);
  } catch {
    // One bad path fails the whole copy: each alone, to keep the good ones.
    for (const path of wanted) {
      try {
        await copyFrom(cache, [path]);
      } catch (error) {
        result.set(path, `cannot be copied: ${(error as Error).message.split('\n').at(-1)}`);
        signed.delete(path);
      }
    }
  }
  const here = await queryPathInfo([...signed.keys()]);
  [...signed].forEach(([path, narHash], i) => {
    const local = here[i];
    // The cache may answer differently the second time it is asked: what Nix imported must be what was signed.
    result.set(
      path,
      local && normalizeSha256(local.narHash) === narHash ? null : 'its content here differs from what was signed',
    );
  });
  return result;
}
