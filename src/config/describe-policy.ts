/**
 * A policy in one line of words, for check-config and status.
 */
import type { Policy } from './config-types.js';
import { formatSetting } from './format-counts.js';

export function describePolicy(policy: Policy): string {
  const needs = [`${formatSetting(policy.thresholdCounts)} counts`];
  if (policy.minRuns > 0) needs.push(`${policy.minRuns} run${policy.minRuns === 1 ? '' : 's'}`);
  if (policy.convergence !== null) needs.push(`overlap ≥ ${policy.convergence}`);
  const then = policy.onReady === 'switch' ? 'build and switch' : 'notify';
  return `ready at ${needs.join(', ')}, then ${then} (build timeout ${policy.buildTimeoutMinutes} min)`;
}
