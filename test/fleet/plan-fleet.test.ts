/** The aggregator's pure decisions: whose data is merged, how much of each machine's, when to build, who keeps profiling. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY } from '../../src/config/defaults.js';
import type { Policy } from '../../src/config/config-types.js';
import {
  chooseProfilingDuty,
  decideFleetBuild,
  type FleetInput,
  planFleetMerge,
  selectFleetInputs,
} from '../../src/fleet/plan-fleet.js';

const policy = (overrides: Partial<Policy> = {}): Policy => ({ ...DEFAULT_POLICY, ...overrides });
const ONE_RUN = 6_939_866;

describe('selectFleetInputs', () => {
  const input = (machine: string, drvPath: string, toolchain = 'clang'): FleetInput => ({
    machine,
    profile: `/nix/store/${machine}-profile`,
    drvPath,
    toolchain,
    runs: 1,
  });

  it("takes the data of the aggregator's own derivation and toolchain and says why it leaves out the rest", () => {
    const { used, excluded } = selectFleetInputs(
      [input('m1', '/nix/store/a.drv'), input('m4', '/nix/store/b.drv'), input('m5', '/nix/store/a.drv', 'gcc')],
      { drvPath: '/nix/store/a.drv', toolchain: 'clang' },
    );
    assert.deepEqual(
      used.map((u) => u.machine),
      ['m1'],
    );
    assert.match(
      excluded.get('m4')!,
      /another derivation \(\/nix\/store\/b\.drv; the fleet's is \/nix\/store\/a\.drv\)/,
    );
    assert.match(excluded.get('m4')!, /its package set differs/);
    assert.equal(excluded.get('m5'), "its data is gcc data; the fleet's build takes clang");
    assert.equal(excluded.has('m1'), false);
  });
});

describe('planFleetMerge', () => {
  it('adds honest machines exactly: N runs over three machines are N times one run', () => {
    const plan = planFleetMerge(
      [
        { machine: 'm1', mass: 3 * ONE_RUN, runs: 3 },
        { machine: 'm2', mass: 3 * ONE_RUN, runs: 3 },
        { machine: 'm3', mass: 4 * ONE_RUN, runs: 4 },
      ],
      policy(),
    );
    assert.equal(plan.counts, 10 * ONE_RUN);
    assert.equal(plan.runs, 10);
    for (const m of ['m1', 'm2', 'm3']) assert.equal(plan.machines.get(m)!.weight, 1, m);
    assert.equal(plan.machines.get('m3')!.share, 0.4);
  });

  it("keeps a machine forging its counters to the policy's share per machine (the spool's per-user bound)", () => {
    const plan = planFleetMerge(
      [
        { machine: 'm1', mass: 3 * ONE_RUN, runs: 3 },
        { machine: 'm2', mass: 3 * ONE_RUN, runs: 3 },
        { machine: 'm3', mass: 4 * ONE_RUN * 1e6, runs: 4 },
      ],
      policy({ maxContributorShare: 0.5 }),
    );
    const m3 = plan.machines.get('m3')!;
    assert.ok(Math.abs(m3.share - 0.5) < 1e-12, `m3 holds ${m3.share}`);
    assert.ok(Math.abs(plan.counts - 12 * ONE_RUN) < 1e-6 * ONE_RUN, `${plan.counts}`);
    assert.equal(plan.machines.get('m1')!.weight, 1, 'the honest machines keep every count');
    assert.equal(m3.mass, 4 * ONE_RUN * 1e6, 'the measured mass is shown as measured');

    // With a tighter bound than one machine in two, every machine is scaled to the smallest.
    const even = planFleetMerge(
      [
        { machine: 'm1', mass: 100, runs: 1 },
        { machine: 'm2', mass: 1e9, runs: 1 },
      ],
      policy({ maxContributorShare: 0.3 }),
    );
    assert.ok(Math.abs(even.counts - 200) < 1e-9, `${even.counts}`);
    assert.ok(Math.abs(even.machines.get('m2')!.share - 0.5) < 1e-12);
  });

  it("judges the fleet's data by the threshold and the minimum runs, not by one machine's", () => {
    const used = [
      { machine: 'm1', mass: 60, runs: 2 },
      { machine: 'm2', mass: 50, runs: 2 },
    ];
    assert.equal(planFleetMerge(used, policy({ thresholdCounts: 100 })).readiness.ready, true);
    assert.equal(planFleetMerge(used.slice(0, 1), policy({ thresholdCounts: 100 })).readiness.ready, false);
    const runs = planFleetMerge(used, policy({ thresholdCounts: 100, minRuns: 5 }));
    assert.equal(runs.readiness.ready, false);
    assert.match(runs.readiness.reason, /runs/);
    assert.equal(planFleetMerge([], policy()).readiness.ready, false);
  });
});

describe('decideFleetBuild', () => {
  const ready = planFleetMerge(
    [
      { machine: 'm1', mass: 600, runs: 1 },
      { machine: 'm2', mass: 600, runs: 1 },
    ],
    policy({ thresholdCounts: 1000 }),
  );
  const notReady = planFleetMerge([{ machine: 'm1', mass: 600, runs: 1 }], policy({ thresholdCounts: 1000 }));
  const base = {
    plan: ready,
    inputs: ['/nix/store/p1', '/nix/store/p2'],
    policy: policy({ thresholdCounts: 1000 }),
    built: null,
    failedInputs: null,
    requested: false,
  };

  it('builds once the fleet is ready, and not again for the same inputs', () => {
    assert.equal(decideFleetBuild(base), true);
    assert.equal(decideFleetBuild({ ...base, plan: notReady }), false);
    assert.equal(decideFleetBuild({ ...base, inputs: [] }), false);
    assert.equal(
      decideFleetBuild({ ...base, built: { counts: 1200, inputs: ['/nix/store/p2', '/nix/store/p1'] } }),
      false,
    );
  });

  it("builds again only after a threshold's worth more counts, and never again for inputs that just failed", () => {
    const inputs = ['/nix/store/p1', '/nix/store/p3'];
    assert.equal(decideFleetBuild({ ...base, inputs, built: { counts: 1000, inputs: base.inputs } }), false);
    assert.equal(decideFleetBuild({ ...base, inputs, built: { counts: 200, inputs: base.inputs } }), true);
    assert.equal(decideFleetBuild({ ...base, failedInputs: [...base.inputs].reverse() }), false);
  });

  it('builds when asked whatever the threshold, unless those very inputs are built', () => {
    assert.equal(decideFleetBuild({ ...base, plan: notReady, requested: true }), true);
    assert.equal(decideFleetBuild({ ...base, failedInputs: base.inputs, requested: true }), true);
    assert.equal(decideFleetBuild({ ...base, built: { counts: 0, inputs: base.inputs }, requested: true }), false);
  });
});

describe('chooseProfilingDuty', () => {
  const machines = Array.from({ length: 20 }, (_, i) => `m${i + 1}`);

  it('takes the share of the machines (at least one), the same choice wherever it is computed', () => {
    assert.equal(chooseProfilingDuty(machines, 0.1, 1).length, 2);
    assert.equal(chooseProfilingDuty(machines, 0.01, 1).length, 1);
    assert.equal(chooseProfilingDuty(machines, 1, 1).length, 20);
    assert.deepEqual(chooseProfilingDuty(machines, 0, 1), []);
    assert.deepEqual(chooseProfilingDuty([], 0.5, 1), []);
    assert.deepEqual(chooseProfilingDuty(machines, 0.25, 7), chooseProfilingDuty([...machines].reverse(), 0.25, 7));
    assert.deepEqual(chooseProfilingDuty(['m1', 'm1', 'm2'], 1, 3), ['m1', 'm2'], 'a machine named twice is one');
  });

  it('chooses other machines as the locks go on', () => {
    const chosen = new Set<string>();
    for (let generation = 1; generation <= 20; generation++)
      for (const m of chooseProfilingDuty(machines, 0.1, generation)) chosen.add(m);
    assert.ok(chosen.size >= 10, `only ${[...chosen].join(', ')} over 20 locks`);
  });
});
