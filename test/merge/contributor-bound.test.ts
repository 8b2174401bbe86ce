/**
 * The bound on one contributor's influence, tested over many configurations
 * rather than one case: with shares capped at c and N contributors with data,
 * planContributorWeights leaves no contributor more than max(c, 1/N) of the
 * combined mass, so the combined profile's overlap (llvm-profdata's
 * program-level measure, the sum over counters of the smaller normalized
 * count) with the honest contributors' part is at least 1 − max(c, 1/N);
 * a forger whose counters are disjoint from the honest ones reaches it. The
 * bound once documented, 1 − c, is false whenever c < 1/N.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countOverlap, planContributorWeights } from '../../src/merge/plan-merge.js';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CAPS = [0.05, 0.1, 0.2, 0.25, 1 / 3, 0.4, 0.5, 0.6, 0.75, 0.9, 1];
const EPSILON = 1e-9;

function bound(c: number, n: number): number {
  return n < 2 ? 1 : Math.max(c, 1 / n);
}

/** Masses spread over 15 orders of magnitude, a forger's among them. */
function masses(rand: () => number, n: number): Map<number, number> {
  return new Map(Array.from({ length: n }, (_, i) => [1000 + i, 10 ** (rand() * 15) * (1 + rand())] as const));
}

test('no contributor holds more than max(c, 1/N) of the combined mass; under the cap nobody is scaled', () => {
  const rand = random(19);
  let cases = 0;
  for (let n = 1; n <= 12; n++) {
    for (const c of CAPS) {
      for (let k = 0; k < 60; k++) {
        const m = masses(rand, n);
        const w = planContributorWeights(m, c);
        const total = [...m].reduce((sum, [id, mass]) => sum + mass * w.get(id)!, 0);
        const limit = c >= 1 ? 1 : bound(c, n);
        for (const [id, mass] of m) {
          const weight = w.get(id)!;
          assert.ok(weight > 0 && weight <= 1, `weight ${weight} in (0, 1]`);
          const share = (mass * weight) / total;
          assert.ok(share <= limit + EPSILON, `N=${n} c=${c}: share ${share} > ${limit}`);
          // Above 1/c contributors, the cap is met by scaling only those over it.
          if (n * c > 1 && mass / total <= c && weight < 1)
            assert.fail(`N=${n} c=${c}: ${id} under the cap was scaled`);
        }
        cases++;
      }
    }
  }
  assert.equal(cases, 12 * CAPS.length * 60);
});

test('the combined profile keeps at least 1 − max(c, 1/N) overlap with the honest part, and a disjoint forger reaches it', () => {
  const rand = random(7);
  const COUNTERS = 64;
  for (let n = 2; n <= 8; n++) {
    for (const c of CAPS.filter((cap) => cap < 1)) {
      for (let k = 0; k < 25; k++) {
        // Honest contributors count on the first half of the counters, the forger (id 0) on the second half only.
        const profiles = new Map<number, bigint[]>();
        for (let h = 1; h < n; h++)
          profiles.set(
            h,
            Array.from({ length: COUNTERS }, (_, i) => (i < COUNTERS / 2 ? BigInt(Math.floor(rand() * 1e6)) + 1n : 0n)),
          );
        const forged = BigInt(Math.floor(10 ** (rand() * 9))) * 10n ** 9n;
        profiles.set(
          0,
          Array.from({ length: COUNTERS }, (_, i) => (i >= COUNTERS / 2 ? forged : 0n)),
        );
        const m = new Map([...profiles].map(([id, v]) => [id, Number(v.reduce((a, b) => a + b, 0n))] as const));
        const w = planContributorWeights(m, c);
        const scaledCounts = (ids: number[]) => {
          const out = new Map<string, bigint>();
          for (const id of ids)
            for (const [i, v] of profiles.get(id)!.entries())
              out.set(String(i), (out.get(String(i)) ?? 0n) + BigInt(Math.round(Number(v) * w.get(id)!)));
          return out;
        };
        const combined = scaledCounts([...profiles.keys()]);
        const honest = scaledCounts([...profiles.keys()].filter((id) => id !== 0));
        const overlap = countOverlap(honest, combined)!;
        const total = [...m].reduce((sum, [id, mass]) => sum + mass * w.get(id)!, 0);
        const forgerShare = (m.get(0)! * w.get(0)!) / total;
        assert.ok(overlap >= 1 - bound(c, n) - 1e-6, `N=${n} c=${c}: overlap ${overlap} < 1 − ${bound(c, n)}`);
        // Disjoint counters: the overlap is exactly what the forger does not hold.
        assert.ok(Math.abs(overlap - (1 - forgerShare)) < 1e-6, `N=${n} c=${c}: ${overlap} vs ${1 - forgerShare}`);
      }
    }
  }
});

test('for small N the bound is 1 − 1/N, not 1 − c: two contributors and c = 0.2 keep only half', () => {
  const w = planContributorWeights(
    new Map([
      [1, 1000],
      [2, 1e15],
    ]),
    0.2,
  );
  const share = (1e15 * w.get(2)!) / (1000 * w.get(1)! + 1e15 * w.get(2)!);
  assert.ok(Math.abs(share - 0.5) < 1e-12, `the forger holds ${share}, i.e. max(0.2, 1/2)`);
});
