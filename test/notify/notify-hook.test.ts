// The notifier: the hook gets every event, and where a desktop session bus exists,
// notify-send shows the events a user acts on; neither failing stops anything.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNotifier, desktopMessage, type PgoEvent } from '../../src/notify/notify-hook.js';
import { createLogger } from '../../src/log/logger.js';
import { makeTempDir } from '../support/nix.js';

const ready: PgoEvent = { type: 'ready', package: 'calc', reason: 'ready: 2.0 of 1 MB, 5 runs' };
const optimized: PgoEvent = {
  type: 'switched',
  package: 'calc',
  variant: 'optimized',
  storePath: '/nix/store/x-calc',
  generation: 4,
};
const profiling: PgoEvent = {
  type: 'switched',
  package: 'calc',
  variant: 'profile',
  storePath: '/nix/store/y-calc',
  generation: 3,
};
const failed: PgoEvent = {
  type: 'build-failed',
  package: 'calc',
  error: 'nix-build exited with status 1\nmore',
  logTail: 'x',
  logFile: '/s/logs/calc/1.log',
  retryAt: '2026-11-26T12:01:00.000Z',
};
const quarantined: PgoEvent = { type: 'quarantined', package: null, file: '1 file(s)', reason: 'see nix-pgo status' };

/** A directory for PATH with a notify-send that appends its arguments (one JSON array per line) to a file, and fails with `exitCode`. */
function fakeNotifySend(exitCode = 0): { bin: string; calls: () => string[][] } {
  const dir = makeTempDir('notify-send');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(
    join(dir, 'notify-send'),
    `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\nprocess.exit(${exitCode});\n`,
    { mode: 0o755 },
  );
  return {
    bin: dir,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}

function logSink(): { logger: ReturnType<typeof createLogger>; lines: () => { level: string; event: string }[] } {
  const lines: string[] = [];
  return {
    logger: createLogger((l) => lines.push(l), 'debug'),
    lines: () => lines.map((l) => JSON.parse(l) as { level: string; event: string }),
  };
}

describe('desktopMessage', () => {
  it('has a notification for ready, a switch to optimized and a failed build, and none for the rest', () => {
    assert.deepEqual(desktopMessage(ready), {
      title: 'nix-pgo: calc has enough profile data',
      body: 'Run nix-pgo build calc to build and switch to its optimized variant.',
    });
    assert.match(desktopMessage(optimized)!.title, /^nix-pgo: calc now runs its optimized build$/);
    assert.deepEqual(desktopMessage(failed), {
      title: 'nix-pgo: building calc failed',
      body: 'nix-build exited with status 1 (tried again at 2026-11-26T12:01:00.000Z; log: /s/logs/calc/1.log)',
    });
    assert.equal(desktopMessage(profiling), null);
    assert.equal(desktopMessage(quarantined), null);
    assert.equal(desktopMessage({ type: 'rolled-back', package: null, generation: 2 }), null);
  });
});

describe('createNotifier', () => {
  it('sends ready to the hook and runs notify-send for ready, optimized and build-failed where a session bus exists', async () => {
    const dir = makeTempDir('notifier');
    const events = join(dir, 'events.jsonl');
    const hook = join(dir, 'hook.sh');
    writeFileSync(hook, `#!/bin/sh\ncat >> ${events}\n`, { mode: 0o755 });
    const send = fakeNotifySend();
    const { logger, lines } = logSink();
    const env = {
      PATH: `${send.bin}:${process.env.PATH}`,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus',
    };
    const notifier = createNotifier({ hook, desktop: true, logger, env });
    for (const event of [ready, profiling, optimized, failed, quarantined]) await notifier.notify(event);

    const told = readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      told.map((e) => e.type),
      ['ready', 'switched', 'switched', 'build-failed', 'quarantined'],
    );
    assert.deepEqual(
      { ...told[0], time: undefined },
      { type: 'ready', package: 'calc', reason: 'ready: 2.0 of 1 MB, 5 runs', time: undefined },
    );
    assert.deepEqual(
      send.calls().map((args) => args.slice(0, 2)),
      [
        ['--app-name=nix-pgo', 'nix-pgo: calc has enough profile data'],
        ['--app-name=nix-pgo', 'nix-pgo: calc now runs its optimized build'],
        ['--app-name=nix-pgo', 'nix-pgo: building calc failed'],
      ],
    );
    assert.deepEqual(
      lines()
        .filter((l) => l.event === 'ready')
        .map((l) => l.level),
      ['info'],
    );
  });

  it('shows nothing without a session bus, with notify.desktop off, or without notify-send', async () => {
    const send = fakeNotifySend();
    for (const [env, desktop] of [
      [{ PATH: `${send.bin}:${process.env.PATH}` }, true],
      [{ PATH: `${send.bin}:${process.env.PATH}`, DBUS_SESSION_BUS_ADDRESS: '' }, true],
      [{ PATH: `${send.bin}:${process.env.PATH}`, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/bus' }, false],
    ] as const) {
      await createNotifier({ hook: null, desktop, logger: logSink().logger, env }).notify(ready);
    }
    assert.deepEqual(send.calls(), []);

    const { logger, lines } = logSink();
    const notifier = createNotifier({
      hook: null,
      desktop: true,
      logger,
      env: { PATH: makeTempDir('empty-path'), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/bus' },
    });
    await notifier.notify(ready);
    await notifier.notify(failed);
    assert.deepEqual(
      lines()
        .filter((l) => l.event.startsWith('desktop-'))
        .map((l) => [l.level, l.event]),
      [['debug', 'desktop-notify-unavailable']],
    );
  });

  it('logs a failing notify-send and goes on to the hook', async () => {
    const dir = makeTempDir('notifier-fail');
    const events = join(dir, 'events.jsonl');
    const hook = join(dir, 'hook.sh');
    writeFileSync(hook, `#!/bin/sh\ncat >> ${events}\n`, { mode: 0o755 });
    const send = fakeNotifySend(1);
    const { logger, lines } = logSink();
    await createNotifier({
      hook,
      desktop: true,
      logger,
      env: { PATH: `${send.bin}:${process.env.PATH}`, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/bus' },
    }).notify(ready);
    assert.equal(send.calls().length, 1);
    assert.deepEqual(
      lines()
        .filter((l) => l.event === 'desktop-notify-failed')
        .map((l) => l.level),
      ['warn'],
    );
    assert.match(readFileSync(events, 'utf8'), /"type":"ready"/);
  });
});
