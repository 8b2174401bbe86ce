/**
 * A harvest engine in its own process, for crash tests: argv = state dir,
 * packages (JSON), fault ("point:N" kills this process with SIGKILL at the N-th
 * time it reaches point, or "none"), and the number of passes (0 = until killed).
 */
import { openTestCollector } from './collector.js';
import { setFaultHandler, type FaultPoint } from '../../src/durable/fault-points.js';
import { stateLayout } from '../../src/state/state-layout.js';

const [stateDir, packagesJson, fault = 'none', passesArg = '0'] = process.argv.slice(2);
const cut = fault.lastIndexOf(':');
const point = fault.slice(0, cut);
const nth = fault.slice(cut + 1);
let hits = 0;
setFaultHandler((reached: FaultPoint) => {
  if (reached === point && ++hits === Number(nth)) process.kill(process.pid, 'SIGKILL');
});
const engine = openTestCollector({ layout: stateLayout(stateDir!), packages: JSON.parse(packagesJson!) });
const passes = Number(passesArg);
for (let i = 0; passes === 0 || i < passes; i++) {
  const report = await engine.runOnce();
  if (report.errors.length > 0) process.stderr.write(`${JSON.stringify(report.errors)}\n`);
}
engine.close();
