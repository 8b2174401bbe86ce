/** Drives a collector-process.ts child: a collector in its own process, as any uid, pass by pass. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { CollectorStatus } from '../../src/collect/collector.js';
import type { SpoolReport } from '../../src/state/spool-report.js';
import type { ChildOptions, ChildPackage } from './collector-process.js';

const CHILD = fileURLToPath(new URL('./collector-process.js', import.meta.url));

export interface PassAnswer {
  harvested: { taken: number; bytes: number; busy: number; quarantined: number };
  merged: { package: string; generation: number }[];
  errors: { package: string; message: string }[];
  status: CollectorStatus;
  spool: SpoolReport | null;
  /** Every quarantine row so far, by reason. */
  quarantine: Record<string, number>;
  passMs: number;
  peakRssKiB: number;
}

export class CollectorDriver {
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
    child.stderr!.on('data', (chunk) => {
      this.stderr += String(chunk);
    });
  }

  static start(options: ChildOptions, user?: { uid: number; gid: number }): CollectorDriver {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(options)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    return new CollectorDriver(child);
  }

  private ask(command: object): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the collector exited (${code}): ${this.stderr}`));
      this.child.once('exit', onExit);
      this.waiting.push((line) => {
        this.child.off('exit', onExit);
        resolve(line);
      });
      this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
  }

  async pass(): Promise<PassAnswer> {
    return JSON.parse(await this.ask({ op: 'pass' })) as PassAnswer;
  }

  async configure(name: string, settings: ChildPackage | null): Promise<void> {
    await this.ask({ op: 'configure', name, settings });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end(`${JSON.stringify({ op: 'exit' })}\n`);
    await exited;
  }
}
