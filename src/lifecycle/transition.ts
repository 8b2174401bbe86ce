/**
 * The lifecycle of one managed package ("slot", DESIGN.md §2) as a pure
 * transition function: the daemon records each (slot, event) → slot step.
 */
import { NixPgoError } from '../errors/errors.js';

export const SLOT_STATES = ['vanilla', 'profiling', 'collecting', 'ready', 'building', 'optimized', 'optimized-stale'] as const;
export type SlotState = (typeof SLOT_STATES)[number];

export type SlotEvent =
  /** The package became managed: its profiling variant is built and active. */
  | { type: 'enable' }
  /** The package is no longer managed: its plain variant is back. */
  | { type: 'disable' }
  /** Profile data was harvested and merged. */
  | { type: 'data-arrived' }
  /** decideReadiness said ready. */
  | { type: 'policy-met' }
  | { type: 'build-started' }
  /** The optimized variant was built and switched in. */
  | { type: 'build-succeeded' }
  | { type: 'build-failed' }
  /** A new version of the package replaced the one the profile was taken from. */
  | { type: 'package-upgraded' }
  /** The Nix profile went back a generation; `to` is the state recorded with that generation. */
  | { type: 'rollback'; to: Exclude<SlotState, 'building'> };

export type SlotEventType = SlotEvent['type'];

export interface Slot {
  state: SlotState;
  /** While building: the state a failed build returns to (the variant still active). */
  beforeBuild: SlotState | null;
}

type Next = SlotState | ((slot: Slot, event: SlotEvent) => Slot);

/** Legal moves: state → event → next state. Anything not listed is a bug in the caller. */
const TRANSITIONS: Record<SlotState, Partial<Record<SlotEventType, Next>>> = {
  vanilla: { enable: 'profiling' },
  profiling: { 'data-arrived': 'collecting', 'package-upgraded': 'profiling' },
  collecting: { 'data-arrived': 'collecting', 'policy-met': 'ready', 'build-started': 'building', 'package-upgraded': 'collecting' },
  ready: { 'data-arrived': 'ready', 'policy-met': 'ready', 'build-started': 'building', 'package-upgraded': 'ready' },
  building: {
    // The profiling variant stays active during a build, so data keeps coming.
    'data-arrived': 'building',
    'policy-met': 'building',
    'build-succeeded': 'optimized',
    'build-failed': (slot) => ({ state: slot.beforeBuild ?? 'collecting', beforeBuild: null }),
  },
  optimized: { 'data-arrived': 'optimized', 'build-started': 'building', 'package-upgraded': 'optimized-stale' },
  'optimized-stale': {
    'data-arrived': 'optimized-stale',
    'policy-met': 'ready',
    'build-started': 'building',
    'package-upgraded': 'optimized-stale',
  },
};

/** Events that need no state of their own: allowed from every state but building. */
const FROM_ANY_BUT_BUILDING: Partial<Record<SlotEventType, Next>> = {
  disable: 'vanilla',
  rollback: (_slot, event) => ({ state: (event as Extract<SlotEvent, { type: 'rollback' }>).to, beforeBuild: null }),
};

export function listAllowedEvents(state: SlotState): SlotEventType[] {
  const own = Object.keys(TRANSITIONS[state]) as SlotEventType[];
  const shared = state === 'building' ? [] : (Object.keys(FROM_ANY_BUT_BUILDING) as SlotEventType[]);
  return [...own, ...shared];
}

export function transitionSlot(slot: Slot, event: SlotEvent): Slot {
  if (event.type === 'rollback' && (event.to === ('building' as SlotState) || !SLOT_STATES.includes(event.to))) {
    throw new NixPgoError('STATE', `a rollback cannot lead to state ${String(event.to)}`);
  }
  const next = TRANSITIONS[slot.state][event.type] ?? (slot.state === 'building' ? undefined : FROM_ANY_BUT_BUILDING[event.type]);
  if (next === undefined) {
    const why = slot.state === 'building' && event.type in FROM_ANY_BUT_BUILDING ? ' (wait until the build ends)' : '';
    throw new NixPgoError(
      'STATE',
      `a package in state ${slot.state} cannot take the event ${event.type}${why}; allowed: ${listAllowedEvents(slot.state).join(', ')}`,
    );
  }
  if (typeof next === 'function') return next(slot, event);
  if (next === 'building') return { state: 'building', beforeBuild: slot.state === 'building' ? slot.beforeBuild : slot.state };
  return { state: next, beforeBuild: next === slot.state ? slot.beforeBuild : null };
}
