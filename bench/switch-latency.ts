/**
 * The daemon's own share of the way from "threshold reached" to "switched":
 * (switch time − merge commit time) − nix-build time, read from the state
 * database of a real daemon run. Target ≤ 2 s. Prints the ratio to the target.
 *
 *   node dist/bench/switch-latency.js [--runs N]
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { makeTempDir } from '../test/support/nix.js';
import { runInstrumented, startDaemon, status, stopDaemon, waitFor, writeConfig } from '../test/support/daemon.js';
import type { LifecycleRecord } from '../src/state/lifecycle-records.js';

const TARGET_MS = 2000;

async function measureOnce(): Promise<{ shareMs: number; buildMs: number; totalMs: number }> {
  // `slow` is salted per run, so its builds are real builds, as on a user's machine.
  const setup = writeConfig(makeTempDir('latency'), ['slow'], { thresholdCounts: 100 });
  // The daemon's default tick, as users run it.
  const daemon = startDaemon(setup, 1000);
  try {
    await waitFor(
      'profiling',
      async () => ((await status(setup)).packages[0]?.activeVariant === 'profile' ? true : undefined),
      300_000,
    );
    await runInstrumented(setup, join(setup.stateDir, 'profile', 'bin', 'calc'), ['1']);
    await waitFor(
      'optimized',
      async () => ((await status(setup)).packages[0]?.state === 'optimized' ? true : undefined),
      300_000,
    );
  } finally {
    await stopDaemon(daemon);
  }
  const db = new Database(join(setup.stateDir, 'state.sqlite'), { readonly: true });
  try {
    const merged = db
      .prepare("SELECT created_at FROM generations WHERE package = 'slow' ORDER BY generation LIMIT 1")
      .get() as { created_at: string };
    const switched = db
      .prepare(
        "SELECT time FROM lifecycle_events WHERE name = 'slow' AND event = 'switched' AND detail LIKE '%\"optimized\"%' ORDER BY id LIMIT 1",
      )
      .get() as { time: string };
    const slot = JSON.parse(
      (db.prepare("SELECT data FROM lifecycle WHERE name = 'slow'").get() as { data: string }).data,
    ) as LifecycleRecord;
    const buildMs = Date.parse(slot.lastBuild!.endedAt) - Date.parse(slot.lastBuild!.startedAt);
    const totalMs = Date.parse(switched.time) - Date.parse(merged.created_at);
    return { shareMs: totalMs - buildMs, buildMs, totalMs };
  } finally {
    db.close();
  }
}

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const results = [];
for (let i = 0; i < runs; i++) {
  const r = await measureOnce();
  results.push(r);
  console.log(
    `run ${i + 1}: threshold→switched ${r.totalMs} ms, nix-build ${r.buildMs} ms, daemon's share ${r.shareMs} ms`,
  );
}
const shares = results.map((r) => r.shareMs).sort((a, b) => a - b);
const median = shares[Math.floor(shares.length / 2)]!;
console.log(
  `median daemon share ${median} ms; ratio to the ${TARGET_MS} ms target: ${(median / TARGET_MS).toFixed(3)} (≤ 1.000 meets it)`,
);
