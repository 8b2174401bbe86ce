/**
 * The daemon's hold on the state database, in its own process (and, as root,
 * as another user): opens it as the daemon does, saves a lifecycle record per
 * `add NAME` line on stdin and answers `ok NAME`; commits stay in the WAL (no
 * automatic checkpoint) while it runs. At the end of stdin it closes the
 * database, which checkpoints it and removes -wal and -shm. argv: the database file.
 */
import { createInterface } from 'node:readline';
import { openDatabase } from '../../src/state/database.js';
import { newLifecycleRecord } from '../../src/model/lifecycle-record.js';
import { saveLifecycle } from '../../src/state/lifecycle-records.js';

const db = openDatabase(process.argv[2]!);
db.pragma('wal_autocheckpoint = 0');
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, name] = line.split(' ');
  if (command === 'add' && name) {
    saveLifecycle(db, newLifecycleRecord(name, new Date()), 'test');
    process.stdout.write(`ok ${name}\n`);
  }
}
db.close();
