/**
 * Sends each event to the user's hook: the executable gets the event as one
 * JSON object on stdin. A failing hook is logged, never fatal: telling the user
 * must not stop the work.
 */
import { run } from '../process/run.js';
import type { Logger } from '../log/logger.js';

export type PgoEvent =
  | { type: 'switched'; package: string; variant: 'profile' | 'optimized' | 'bolt-profile' | 'bolt-optimized'; storePath: string; generation: number }
  | { type: 'build-failed'; package: string; error: string; logTail: string; logFile: string; retryAt: string }
  | { type: 'quarantined'; package: string | null; file: string; reason: string }
  | { type: 'disk-cap'; area: string; usedBytes: number; capBytes: number }
  | { type: 'rolled-back'; package: string | null; generation: number };

export interface Notifier {
  notify(event: PgoEvent): Promise<void>;
}

export function createNotifier(hook: string | null, logger: Logger, timeoutMs = 30_000): Notifier {
  return {
    async notify(event) {
      const payload = { ...event, time: new Date().toISOString() };
      logger.log(event.type === 'build-failed' ? 'warn' : 'info', event.type, payload);
      if (!hook) return;
      try {
        await run(hook, [], { input: `${JSON.stringify(payload)}\n`, timeoutMs });
      } catch (error) {
        logger.log('warn', 'hook-failed', { hook, error: (error as Error).message });
      }
    },
  };
}
