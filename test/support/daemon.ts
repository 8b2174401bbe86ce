// Helpers for tests that run the real nix-pgo CLI and daemon as processes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { run, startBackground, type Background } from '../../src/process/run.js';
import type { Status } from '../../src/status/collect-status.js';
import { spoolEnvironment } from '../../src/spool/spool-environment.js';
import { repoRoot } from './nix.js';

export const cli = join(repoRoot, 'dist/src/cli/main.js');
export const daemonPackages = join(repoRoot, 'test/fixtures/daemon-packages.nix');

export interface TestSetup {
  dir: string;
  configFile: string;
  stateDir: string;
  spoolDir: string;
  /** The salted entry point the config names. */
  nixFile: string;
}

/** A config with its own state dir, managing `packages` from the daemon fixture. */
export function writeConfig(
  dir: string,
  packages: string[] | Record<string, Record<string, unknown>>,
  policy: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  fixtureArgs = '',
): TestSetup {
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'config.json');
  // Salted, every build is new to the store in each test (and each run of the suite), so it really runs (a test kills
  // the daemon in the middle of `slow`'s) and nothing else roots its output (a test deletes and rebuilds one); the
  // programs are small, so a build takes seconds.
  const nixFile = join(dir, 'packages.nix');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    nixFile,
    `{ pgoProfiles ? { }, boltProfiles ? { } }: import ${daemonPackages} { inherit pgoProfiles boltProfiles; salt = "${randomUUID()}"; ${fixtureArgs} }\n`,
  );
  const config = {
    stateDir,
    nixFile,
    policy: { thresholdCounts: 1000, retry: { initialDelaySeconds: 1, maxDelaySeconds: 2 }, ...policy },
    packages: Array.isArray(packages) ? Object.fromEntries(packages.map((p) => [p, {}])) : packages,
    ...extra,
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { dir, configFile, stateDir, spoolDir: join(stateDir, 'spool'), nixFile };
}

export async function cliJson<T>(args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [cli, ...args, '--json']);
  return JSON.parse(stdout) as T;
}

export function status(setup: TestSetup): Promise<Status> {
  return cliJson<Status>(['status', '--config', setup.configFile]);
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export type RunningDaemon = Background;

export function startDaemon(setup: TestSetup, tickMs = 200): RunningDaemon {
  return startBackground(process.execPath, [cli, 'daemon', '--config', setup.configFile, '--tick-ms', String(tickMs)]);
}

export async function stopDaemon(daemon: RunningDaemon): Promise<number | null> {
  daemon.kill('SIGTERM');
  return daemon.exited;
}

/** Runs an instrumented program the way a user's shell would: with the spool's variable. */
export async function runInstrumented(setup: TestSetup, program: string, args: string[]): Promise<string> {
  const env = { ...process.env, ...spoolEnvironment(setup.spoolDir) };
  return (await run(program, args, { env })).stdout;
}
