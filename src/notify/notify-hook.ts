/**
 * Tells the user about each event: the hook (the executable gets the event as
 * one JSON object on stdin) and, where a desktop session bus exists, a desktop
 * notification through `notify-send` for the events a user acts on. A failing
 * hook or notify-send is logged, never fatal: telling the user must not stop
 * the work.
 */
import { ToolError } from '../errors/errors.js';
import { run, withoutProfileVariables } from '../process/run.js';
import type { Logger } from '../log/logger.js';

export type PgoEvent =
  | {
      type: 'switched';
      package: string;
      variant: 'profile' | 'optimized' | 'bolt-profile' | 'bolt-optimized';
      storePath: string;
      generation: number;
    }
  | { type: 'build-failed'; package: string; error: string; logTail: string; logFile: string; retryAt: string }
  /** The policy is met and `onReady` is `notify`: the user decides when to build (`nix-pgo build NAME`). */
  | { type: 'ready'; package: string; reason: string }
  | { type: 'quarantined'; package: string | null; file: string; reason: string }
  | { type: 'disk-cap'; area: string; usedBytes: number; capBytes: number }
  | { type: 'rolled-back'; package: string | null; generation: number };

export interface Notifier {
  notify(event: PgoEvent): Promise<void>;
}

export interface NotifierOptions {
  /** The executable that gets every event, or null. */
  hook: string | null;
  /** Desktop notifications (config `notify.desktop`): shown only where `DBUS_SESSION_BUS_ADDRESS` is set and `notify-send` is on `PATH`. */
  desktop: boolean;
  logger: Logger;
  /** Where `DBUS_SESSION_BUS_ADDRESS` and `PATH` come from; default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface DesktopMessage {
  title: string;
  body: string;
}

/** The first line of a text, shortened for a notification. */
function firstLine(text: string, max = 200): string {
  const line =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * The desktop notification for an event, or null for an event not worth one
 * (pure): a package ready under `onReady: "notify"`, a switch to an optimized
 * variant, a failed build.
 */
export function desktopMessage(event: PgoEvent): DesktopMessage | null {
  switch (event.type) {
    case 'ready':
      return {
        title: `nix-pgo: ${event.package} has enough profile data`,
        body: `Run nix-pgo build ${event.package} to build and switch to its optimized variant.`,
      };
    case 'switched':
      return event.variant === 'optimized'
        ? {
            title: `nix-pgo: ${event.package} now runs its optimized build`,
            body: `Programs started from now on use it (profile generation ${event.generation}).`,
          }
        : null;
    case 'build-failed':
      return {
        title: `nix-pgo: building ${event.package} failed`,
        body: `${firstLine(event.error)} (tried again at ${event.retryAt}; log: ${event.logFile})`,
      };
    default:
      return null;
  }
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { hook, logger, timeoutMs = 30_000 } = options;
  const env = options.env ?? process.env;
  // No session bus (a system service, a shell over ssh): no desktop to show anything on.
  const bus = options.desktop && (env.DBUS_SESSION_BUS_ADDRESS ?? '') !== '';
  let notifySendMissing = false;

  async function showOnDesktop(event: PgoEvent): Promise<void> {
    const message = bus && !notifySendMissing ? desktopMessage(event) : null;
    if (message === null) return;
    try {
      await run('notify-send', ['--app-name=nix-pgo', message.title, message.body], {
        env: withoutProfileVariables(env),
        timeoutMs,
      });
    } catch (error) {
      if (error instanceof ToolError && error.code === 'TOOL_MISSING') {
        // Not installed: nothing to show notifications with, which is no failure.
        notifySendMissing = true;
        logger.log('debug', 'desktop-notify-unavailable', { reason: 'notify-send is not on PATH' });
        return;
      }
      logger.log('warn', 'desktop-notify-failed', { type: event.type, error: (error as Error).message });
    }
  }

  return {
    async notify(event) {
      const payload = { ...event, time: new Date().toISOString() };
      logger.log(event.type === 'build-failed' ? 'warn' : 'info', event.type, payload);
      await showOnDesktop(event);
      if (!hook) return;
      try {
        await run(hook, [], { input: `${JSON.stringify(payload)}\n`, timeoutMs });
      } catch (error) {
        logger.log('warn', 'hook-failed', { hook, error: (error as Error).message });
      }
    },
  };
}
