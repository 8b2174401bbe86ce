import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NixPgoError } from '../../src/errors/errors.js';
import {
  listAllowedEvents,
  transition,
  type LifecyclePosition,
  type LifecycleEvent,
} from '../../src/lifecycle/transition.js';
import { LIFECYCLE_STATES, type LifecycleState } from '../../src/model/lifecycle-states.js';

const at = (state: LifecycleState, beforeBuild: LifecycleState | null = null): LifecyclePosition => ({
  state,
  beforeBuild,
});

function run(start: LifecyclePosition, events: LifecycleEvent[]): LifecyclePosition {
  return events.reduce(transition, start);
}

describe('transition', () => {
  it('walks the happy path of the lifecycle', () => {
    const seen: LifecycleState[] = [];
    let position = at('vanilla');
    for (const type of [
      'enable',
      'data-arrived',
      'data-arrived',
      'policy-met',
      'build-started',
      'data-arrived',
      'build-succeeded',
      'data-arrived',
    ] as const) {
      position = transition(position, { type });
      seen.push(position.state);
    }
    assert.deepEqual(seen, [
      'profiling',
      'collecting',
      'collecting',
      'ready',
      'building',
      'building',
      'optimized',
      'optimized',
    ]);
    assert.equal(position.beforeBuild, null);
  });

  it('continues with BOLT after PGO: instrumented, ready, building, BOLT-optimized; a failed BOLT build keeps the BOLT-instrumented variant', () => {
    const seen: LifecycleState[] = [];
    let position = at('optimized');
    for (const type of [
      'bolt-enable',
      'data-arrived',
      'policy-met',
      'build-started',
      'data-arrived',
      'build-succeeded',
    ] as const) {
      position = transition(position, { type });
      seen.push(position.state);
    }
    assert.deepEqual(seen, [
      'bolt-profiling',
      'bolt-profiling',
      'bolt-ready',
      'building',
      'building',
      'bolt-optimized',
    ]);
    assert.deepEqual(run(at('bolt-ready'), [{ type: 'build-started' }, { type: 'build-failed' }]), at('bolt-ready'));
    assert.deepEqual(
      run(at('bolt-optimized'), [{ type: 'build-started' }, { type: 'build-succeeded' }]),
      at('bolt-optimized'),
    );
    assert.throws(() => transition(at('collecting'), { type: 'bolt-enable' }), NixPgoError);
  });

  it('carries an upgrade over from every optimized state, and refreshes from one', () => {
    for (const state of ['optimized', 'bolt-optimized', 'bolt-profiling', 'bolt-ready', 'refreshing'] as const)
      assert.deepEqual(transition(at(state), { type: 'upgraded' }), at('optimized-stale'), state);
    assert.deepEqual(
      run(at('optimized-stale'), [{ type: 'build-started' }, { type: 'data-arrived' }, { type: 'build-failed' }]),
      at('optimized-stale'),
    );
    assert.deepEqual(
      run(at('optimized-stale'), [{ type: 'build-started' }, { type: 'build-succeeded', variant: 'bolt-optimized' }]),
      at('bolt-optimized'),
    );
    assert.deepEqual(
      run(at('optimized'), [{ type: 'refresh-started' }, { type: 'data-arrived' }, { type: 'build-started' }]),
      at('building', 'refreshing'),
    );
    assert.deepEqual(transition(at('building', 'refreshing'), { type: 'build-succeeded' }), at('optimized'));
    assert.deepEqual(transition(at('refreshing'), { type: 'refresh-ended' }), at('optimized'));
    assert.throws(() => transition(at('collecting'), { type: 'upgraded' }), NixPgoError);
    assert.throws(() => transition(at('optimized-stale'), { type: 'refresh-started' }), NixPgoError);
  });

  it('starts over from anything but a build', () => {
    for (const state of LIFECYCLE_STATES.filter((s) => s !== 'building'))
      assert.deepEqual(transition(at(state), { type: 'reset' }), at('vanilla'), state);
    assert.throws(() => transition(at('building', 'ready'), { type: 'reset' }), /wait until the build ends/);
  });

  it('returns a failed build to the state it started from', () => {
    assert.deepEqual(run(at('ready'), [{ type: 'build-started' }, { type: 'build-failed' }]), at('ready'));
    assert.deepEqual(run(at('collecting'), [{ type: 'build-started' }, { type: 'build-failed' }]), at('collecting'));
    assert.deepEqual(
      run(at('optimized'), [{ type: 'build-started' }, { type: 'data-arrived' }, { type: 'build-failed' }]),
      at('optimized'),
    );
  });

  it('remembers where a build started and forgets it after the build', () => {
    assert.deepEqual(transition(at('ready'), { type: 'build-started' }), at('building', 'ready'));
    assert.deepEqual(transition(at('building', 'ready'), { type: 'data-arrived' }), at('building', 'ready'));
    assert.deepEqual(transition(at('building', 'ready'), { type: 'build-succeeded' }), at('optimized'));
  });

  it('rolls back to the state recorded with the previous generation', () => {
    assert.deepEqual(transition(at('optimized'), { type: 'rollback', to: 'profiling' }), at('profiling'));
    assert.deepEqual(transition(at('collecting'), { type: 'rollback', to: 'optimized' }), at('optimized'));
    assert.deepEqual(transition(at('profiling'), { type: 'rollback', to: 'vanilla' }), at('vanilla'));
  });

  it('throws a STATE error naming the state, the event and what is allowed', () => {
    assert.throws(
      () => transition(at('collecting'), { type: 'build-succeeded' }),
      (error: unknown) =>
        error instanceof NixPgoError &&
        error.code === 'STATE' &&
        error.message.includes('state collecting cannot take the event build-succeeded') &&
        error.message.includes('allowed: data-arrived, policy-met, build-started'),
    );
  });

  it('refuses a rollback during a build, saying to wait', () => {
    assert.throws(
      () => transition(at('building', 'ready'), { type: 'rollback', to: 'profiling' }),
      /wait until the build ends/,
    );
  });

  it('refuses a rollback into building', () => {
    assert.throws(
      () => transition(at('optimized'), { type: 'rollback', to: 'building' as never }),
      /cannot lead to state building/,
    );
  });

  it("builds from profiling (a fleet member follows the fleet's build before its own data arrived), and a failure returns there", () => {
    const building = transition(at('profiling'), { type: 'build-started' });
    assert.deepEqual(building, at('building', 'profiling'));
    assert.deepEqual(transition(building, { type: 'build-failed' }), at('profiling'));
    assert.deepEqual(transition(building, { type: 'build-succeeded' }), at('optimized'));
  });

  it('rejects the illegal moves of the lifecycle', () => {
    const illegal: [LifecycleState, LifecycleEvent['type']][] = [
      ['vanilla', 'data-arrived'],
      ['vanilla', 'build-started'],
      ['profiling', 'policy-met'],
      ['collecting', 'enable'],
      ['ready', 'build-failed'],
      ['building', 'build-started'],
      ['building', 'enable'],
      ['optimized', 'policy-met'],
      ['optimized', 'build-succeeded'],
    ];
    for (const [state, type] of illegal) {
      assert.throws(() => transition(at(state), { type } as LifecycleEvent), NixPgoError, `${state} + ${type}`);
      assert.ok(!listAllowedEvents(state).includes(type), `${state} + ${type} is not listed as allowed`);
    }
  });

  it('accepts exactly the events listAllowedEvents lists', () => {
    const allTypes: LifecycleEvent['type'][] = [
      'enable',
      'data-arrived',
      'policy-met',
      'build-started',
      'build-succeeded',
      'build-failed',
      'rollback',
    ];
    for (const state of LIFECYCLE_STATES) {
      for (const type of allTypes) {
        const event = (type === 'rollback' ? { type, to: 'profiling' } : { type }) as LifecycleEvent;
        const legal = listAllowedEvents(state).includes(type);
        if (legal)
          assert.doesNotThrow(
            () => transition(at(state, state === 'building' ? 'ready' : null), event),
            `${state} + ${type}`,
          );
        else assert.throws(() => transition(at(state), event), NixPgoError, `${state} + ${type}`);
      }
    }
  });
});
