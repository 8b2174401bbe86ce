/** The states of a managed package's lifecycle (what each means: docs/architecture.md). */

export const LIFECYCLE_STATES = [
  'vanilla',
  'profiling',
  'collecting',
  'ready',
  'building',
  'optimized',
  'optimized-stale',
  'refreshing',
  'bolt-profiling',
  'bolt-ready',
  'bolt-optimized',
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** States in which a BOLT variant is active (or, while building, was). */
export const BOLT_STATES: ReadonlySet<LifecycleState> = new Set(['bolt-profiling', 'bolt-ready', 'bolt-optimized']);
