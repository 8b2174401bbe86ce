/**
 * Named points between the durable steps of harvest and merge. Crash tests
 * register a handler that kills the process at a chosen point; in normal runs
 * the handler does nothing. Module state because the points sit deep in the
 * call chain and threading a hook through every signature would hide the steps.
 */
export type FaultPoint =
  | 'harvest:copied'
  | 'harvest:journaled'
  | 'harvest:truncated'
  | 'harvest:confirmed'
  | 'merge:output'
  | 'merge:renamed'
  | 'merge:committed'
  | 'recover:judged';

export const FAULT_POINTS: readonly FaultPoint[] = [
  'harvest:copied',
  'harvest:journaled',
  'harvest:truncated',
  'harvest:confirmed',
  'merge:output',
  'merge:renamed',
  'merge:committed',
  'recover:judged',
];

let handler: (point: FaultPoint) => void = () => {};

export function setFaultHandler(next: (point: FaultPoint) => void): void {
  handler = next;
}

export function faultPoint(point: FaultPoint): void {
  handler(point);
}
