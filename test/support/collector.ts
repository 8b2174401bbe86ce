// A collector with its own database handle, as tests and benchmarks open it: close() releases both.
import { Collector, type CollectorLimits, type PackageSource } from '../../src/collect/collector.js';
import { openDatabase } from '../../src/state/database.js';
import type { StateLayout } from '../../src/state/state-layout.js';

export interface TestCollector {
  collector: Collector;
  runOnce: Collector['runOnce'];
  start(): void;
  stop(): Promise<void>;
  status: Collector['status'];
  close(): void;
}

export function openTestCollector(options: {
  layout: StateLayout;
  packages: readonly PackageSource[];
  limits?: Partial<CollectorLimits>;
}): TestCollector {
  const db = openDatabase(options.layout.database);
  let collector: Collector;
  try {
    collector = Collector.open({ db, ...options });
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    collector,
    runOnce: () => collector.runOnce(),
    start: () => collector.start(),
    stop: () => collector.stop(),
    status: () => collector.status(),
    close: () => {
      collector.close();
      db.close();
    },
  };
}
