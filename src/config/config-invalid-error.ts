/**
 * The one error a bad config produces: it carries every problem, so the user
 * fixes them all in one round.
 */
import { InputError } from '../errors/errors.js';
import type { ConfigProblem } from './config-types.js';

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path === '' ? '' : `${problem.path}: `;
  return `${where}${problem.message}\n    fix: ${problem.fix}`;
}

export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return [`${file}: ${count}`, ...problems.map((p) => `  - ${formatProblem(p)}`)].join('\n');
}

export class ConfigInvalidError extends InputError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[]) {
    super('CONFIG_INVALID', formatProblems(file, problems), {
      hints: [`check it again with: nix-pgo check-config ${file}`],
    });
    this.file = file;
    this.problems = problems;
  }
}
