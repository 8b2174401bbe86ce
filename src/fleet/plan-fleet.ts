/**
 * The aggregator's decisions (pure): which machines' profiles of a package
 * go into the fleet's merge, how much of each (the spool's bounded-influence
 * rule with the machine as the contributor), whether the fleet's data meets
 * the package's policy and a build is due, and which machines keep profiling.
 */
import { createHash } from 'node:crypto';
import type { Policy } from '../config/config-types.js';
import { decideReadiness, type Readiness } from '../lifecycle/decide-readiness.js';
import { planContributorWeights } from '../merge/plan-merge.js';

/** One machine's profile of a package, as its record gives it. */
export interface FleetInput {
  machine: string;
  profile: string;
  drvPath: string;
  toolchain: string;
  runs: number;
}

/**
 * The inputs whose data is of the aggregator's own instrumented build of the package (the same derivation, the
 * same toolchain); the others, each with why not: a profile of another derivation would not match the build.
 */
export function selectFleetInputs(
  inputs: readonly FleetInput[],
  own: { drvPath: string; toolchain: string },
): { used: FleetInput[]; excluded: Map<string, string> } {
  const used: FleetInput[] = [];
  const excluded = new Map<string, string>();
  for (const input of inputs) {
    if (input.drvPath !== own.drvPath)
      excluded.set(
        input.machine,
        `its data is of another derivation (${input.drvPath}; the fleet's is ${own.drvPath}): its package set differs`,
      );
    else if (input.toolchain !== own.toolchain)
      excluded.set(input.machine, `its data is ${input.toolchain} data; the fleet's build takes ${own.toolchain}`);
    else used.push(input);
  }
  return { used, excluded };
}

export interface FleetMergePlan {
  /** By machine: its mass (measured), the factor its counts are scaled by, and its share of the fleet's profile. */
  machines: Map<string, { mass: number; weight: number; share: number; runs: number }>;
  /** The fleet's counts after the bound, and its runs. */
  counts: number;
  runs: number;
  readiness: Readiness;
}

/**
 * Weighs each machine's profile so that none holds more than the policy's maxContributorShare of the fleet's
 * (planContributorWeights, as the spool does per user), and judges the fleet's data by the policy's threshold
 * and minimum runs (convergence is not measured across a fleet).
 */
export function planFleetMerge(
  used: readonly { machine: string; mass: number; runs: number }[],
  policy: Policy,
): FleetMergePlan {
  const byIndex = new Map(used.map((u, i) => [i, u.mass] as const));
  const weights = planContributorWeights(byIndex, policy.maxContributorShare);
  const counts = used.reduce((sum, u, i) => sum + u.mass * (weights.get(i) ?? 1), 0);
  const runs = used.reduce((sum, u) => sum + u.runs, 0);
  const machines = new Map(
    used.map((u, i) => {
      const weight = weights.get(i) ?? 1;
      return [u.machine, { mass: u.mass, weight, share: counts > 0 ? (u.mass * weight) / counts : 0, runs: u.runs }];
    }),
  );
  const readiness = decideReadiness(
    { counts, runs, mergedBytes: counts > 0 ? 1 : 0, bytesHarvested: 0, convergence: null },
    { ...policy, convergence: null },
  );
  return { machines, counts, runs, readiness };
}

/**
 * Whether to build the fleet's optimized variant now: asked for; or ready and never built; or ready with a
 * threshold's worth of counts more than the last build had. Never again for inputs that just failed, unless asked.
 */
export function decideFleetBuild(input: {
  plan: FleetMergePlan;
  inputs: readonly string[];
  policy: Policy;
  built: { counts: number; inputs: readonly string[] } | null;
  failedInputs: readonly string[] | null;
  requested: boolean;
}): boolean {
  const { plan, inputs, built } = input;
  if (inputs.length === 0) return false;
  const same = (a: readonly string[] | null | undefined) =>
    a != null && a.length === inputs.length && [...a].sort().join('\n') === [...inputs].sort().join('\n');
  if (input.requested) return !same(built?.inputs);
  if (!plan.readiness.ready || same(input.failedInputs) || same(built?.inputs)) return false;
  return built === null || plan.counts >= built.counts + input.policy.thresholdCounts;
}

/**
 * The machines that keep the profiling variant with lock `generation`: the first round(share × n) of them (at
 * least one while share > 0) in the order of SHA-256(generation, name), so the choice is the same wherever it
 * is computed, and another one with each lock.
 */
export function chooseProfilingDuty(machines: readonly string[], share: number, generation: number): string[] {
  if (share <= 0 || machines.length === 0) return [];
  const count = Math.min(machines.length, Math.max(1, Math.round(share * machines.length)));
  const rank = (name: string) => createHash('sha256').update(`${generation}\n${name}`).digest('hex');
  return [...new Set(machines)]
    .map((name) => ({ name, rank: rank(name) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .slice(0, count)
    .map((m) => m.name)
    .sort();
}
