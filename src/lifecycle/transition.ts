/**
 * The lifecycle of one managed package as a pure state machine (the states
 * and what each means: docs/architecture.md): (state, event) → next state.
 */
import { StateError } from '../errors/errors.js';
import { BOLT_STATES, LIFECYCLE_STATES, type LifecycleState } from '../model/lifecycle-states.js';

export type LifecycleEvent =
  /** The package became managed: its profiling variant is built and active. */
  | { type: 'enable' }
  /** Profile data was harvested and merged. */
  | { type: 'data-arrived' }
  /** decideReadiness said ready. */
  | { type: 'policy-met' }
  | { type: 'build-started' }
  /** The optimized variant (`variant`: which one; default: as the state before the build says) was built and switched in. */
  | { type: 'build-succeeded'; variant?: 'optimized' | 'bolt-optimized' }
  | { type: 'build-failed' }
  /** The BOLT-instrumented variant was built and switched in: BOLT profiling starts. */
  | { type: 'bolt-enable' }
  /** The package's derivation changed under its active optimized (or BOLT) variant: a carry-over build comes next. */
  | { type: 'upgraded' }
  /** The profile matches the active build too little: its instrumented twin is active for a bounded window. */
  | { type: 'refresh-started' }
  /** The refresh window ended without data: back to the optimized variant it started from. */
  | { type: 'refresh-ended' }
  /** The package's cycle starts over (`nix-pgo reset`, or its derivation changed before it was ever optimized). */
  | { type: 'reset' }
  /** The Nix profile went back a generation; `to` is the state recorded with that generation. */
  | { type: 'rollback'; to: Exclude<LifecycleState, 'building'> };

export type LifecycleEventType = LifecycleEvent['type'];

export interface LifecyclePosition {
  state: LifecycleState;
  /** While building: the state a failed build returns to (the variant still active). */
  beforeBuild: LifecycleState | null;
}

type Next = LifecycleState | ((position: LifecyclePosition, event: LifecycleEvent) => LifecyclePosition);

/** Legal moves: state → event → next state. Anything not listed is a bug in the caller. */
const TRANSITIONS: Record<LifecycleState, Partial<Record<LifecycleEventType, Next>>> = {
  vanilla: { enable: 'profiling' },
  // A fleet's member may follow the fleet's optimized build before any data of its own arrived.
  profiling: { 'data-arrived': 'collecting', 'build-started': 'building' },
  collecting: { 'data-arrived': 'collecting', 'policy-met': 'ready', 'build-started': 'building' },
  ready: { 'data-arrived': 'ready', 'policy-met': 'ready', 'build-started': 'building' },
  building: {
    // The profiling variant stays active during a build, so data keeps coming.
    'data-arrived': 'building',
    'policy-met': 'building',
    // A build from a BOLT state is the BOLT-optimized variant, and so is a carry-over of one.
    'build-succeeded': (position, event) => ({
      state:
        (event as Extract<LifecycleEvent, { type: 'build-succeeded' }>).variant ??
        (position.beforeBuild && BOLT_STATES.has(position.beforeBuild) ? 'bolt-optimized' : 'optimized'),
      beforeBuild: null,
    }),
    'build-failed': (position) => ({ state: position.beforeBuild ?? 'collecting', beforeBuild: null }),
  },
  optimized: {
    'data-arrived': 'optimized',
    'build-started': 'building',
    'bolt-enable': 'bolt-profiling',
    upgraded: 'optimized-stale',
    'refresh-started': 'refreshing',
  },
  // The old optimized variant stays active until the carry-over build of the new derivation succeeds.
  'optimized-stale': { 'data-arrived': 'optimized-stale', 'build-started': 'building', upgraded: 'optimized-stale' },
  refreshing: {
    'data-arrived': 'refreshing',
    'policy-met': 'refreshing',
    'build-started': 'building',
    upgraded: 'optimized-stale',
    'refresh-ended': 'optimized',
  },
  'bolt-profiling': {
    'data-arrived': 'bolt-profiling',
    'policy-met': 'bolt-ready',
    'build-started': 'building',
    upgraded: 'optimized-stale',
  },
  'bolt-ready': {
    'data-arrived': 'bolt-ready',
    'policy-met': 'bolt-ready',
    'build-started': 'building',
    upgraded: 'optimized-stale',
  },
  'bolt-optimized': {
    'data-arrived': 'bolt-optimized',
    'build-started': 'building',
    upgraded: 'optimized-stale',
    'refresh-started': 'refreshing',
  },
};

/** Events that need no state of their own: allowed from every state but building. */
const FROM_ANY_BUT_BUILDING: Partial<Record<LifecycleEventType, Next>> = {
  reset: 'vanilla',
  rollback: (_position, event) => ({
    state: (event as Extract<LifecycleEvent, { type: 'rollback' }>).to,
    beforeBuild: null,
  }),
};

export function listAllowedEvents(state: LifecycleState): LifecycleEventType[] {
  const own = Object.keys(TRANSITIONS[state]) as LifecycleEventType[];
  const shared = state === 'building' ? [] : (Object.keys(FROM_ANY_BUT_BUILDING) as LifecycleEventType[]);
  return [...own, ...shared];
}

export function transition(position: LifecyclePosition, event: LifecycleEvent): LifecyclePosition {
  if (
    event.type === 'rollback' &&
    (event.to === ('building' as LifecycleState) || !LIFECYCLE_STATES.includes(event.to))
  ) {
    throw new StateError('STATE', `a rollback cannot lead to state ${String(event.to)}`);
  }
  const next =
    TRANSITIONS[position.state][event.type] ??
    (position.state === 'building' ? undefined : FROM_ANY_BUT_BUILDING[event.type]);
  if (next === undefined) {
    const why =
      position.state === 'building' && event.type in FROM_ANY_BUT_BUILDING ? ' (wait until the build ends)' : '';
    throw new StateError(
      'STATE',
      `a package in state ${position.state} cannot take the event ${event.type}${why}; allowed: ${listAllowedEvents(position.state).join(', ')}`,
    );
  }
  if (typeof next === 'function') return next(position, event);
  if (next === 'building')
    return { state: 'building', beforeBuild: position.state === 'building' ? position.beforeBuild : position.state };
  return { state: next, beforeBuild: next === position.state ? position.beforeBuild : null };
}
