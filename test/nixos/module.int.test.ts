// The NixOS and home-manager modules, evaluated with the real module system:
// the nixpkgs lib found as <nixpkgs/lib> on the Nix search path, as a user's
// configuration finds it (here: NIX_PATH=nixpkgs=<the pinned lib>; on a machine
// with nixpkgs, nixpkgs itself). Without one every test here is skipped and
// says what is missing.
//
// nix/tests/nixos-module.nix holds the cases that compare values (defaults,
// assertions, the rendered unit and config, which packages change); here are
// the messages only the evaluator shows (values the option types refuse), the
// config check that runs while the system builds, and the rendered unit as
// systemd itself parses it.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/process/run.js';
import { ToolError } from '../../src/errors/errors.js';
import { makeTempDir } from '../support/nix.js';
import { evalFailure, evalJson, findNixpkgsLib, harness, nixDir, type NixTestResult } from './nixos-support.js';

const found = await findNixpkgsLib();
const skip = 'missing' in found ? found.missing : false;
const analyze = await hasSystemdAnalyze();

/** The module evaluated with these settings of services.nix-pgo (a Nix attribute set's body). */
function nixosWith(settings: string, extra = ''): string {
  return `(${harness()}.nixos [ { services.nix-pgo = { ${settings} }; ${extra} } ])`;
}

/** Builds /etc/nix-pgo/config.json of a configuration, checked by this checkout's CLI; returns its content, or throws the ToolError. */
async function buildCheckedConfig(settings: string): Promise<Record<string, unknown>> {
  const expr = `(${harness({ repo: true })}.nixos [ { services.nix-pgo = { packages = [ "calc" ]; ${settings} }; } ]).config.environment.etc."nix-pgo/config.json".source`;
  const { stdout } = await run('nix-build', ['--option', 'substituters', '', '--no-out-link', '-E', expr], {
    timeoutMs: 300_000,
  });
  return JSON.parse(readFileSync(stdout.trim(), 'utf8')) as Record<string, unknown>;
}

describe('the NixOS module with the real module system', { skip }, () => {
  it('nix/tests/nixos-module.nix: defaults, assertions, the unit and config, only the named packages change', async () => {
    const result = await evalJson<NixTestResult>(`import ${JSON.stringify(join(nixDir, 'tests/nixos-module.nix'))}`);
    assert.ok(result.total >= 17, `found ${result.total} cases`);
    assert.deepEqual(result.failures, []);
  });

  it('a value the option types refuse fails evaluation with a message naming the option and what it takes', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'packages = [ "calc" ]; thresholdMB = 0;',
        'thresholdMB',
        /services\.nix-pgo\.thresholdMB.*is not of type `positive/s,
      ],
      [
        'packages = [ "calc" ]; onReady = "build";',
        'onReady',
        /services\.nix-pgo\.onReady.*is not of type `one of "switch", "notify"'/s,
      ],
      [
        'packages = [ "python3Packages.numpy" ];',
        'packages',
        /services\.nix-pgo\.packages.*is not of type `name of a top-level package of pkgs \(such as "sqlite"; not a path such as python3Packages\.numpy\)'/s,
      ],
      [
        'packages = [ "calc" ]; lockFile = "pgo-lock.json";',
        'lockFile',
        /services\.nix-pgo\.lockFile.*is not of type `null or absolute path'/s,
      ],
      [
        'packages = [ "calc" ]; settings.policy = x: x;',
        'finalSettings',
        /services\.nix-pgo\.settings\.policy.*is not of type `JSON value'/s,
      ],
    ];
    for (const [settings, option, message] of cases) {
      const stderr = await evalFailure(`${nixosWith(settings)}.config.services.nix-pgo.${option}`);
      assert.match(stderr, message, `${settings}\n${stderr}`);
    }
  });

  it('assertions are reached, not hidden behind an evaluation error, for names pkgs does not have', async () => {
    const messages = await evalJson<string[]>(
      `${harness()}.failedAssertions ${nixosWith('packages = [ "calcc" "removed" ];')}`,
    );
    assert.deepEqual(messages, [
      'services.nix-pgo.packages: pkgs has no package named "calcc" (did you mean "calc"?); correct the name or remove it from services.nix-pgo.packages',
      'services.nix-pgo.packages: evaluating pkgs.removed fails (a removed or broken package); remove "removed" from services.nix-pgo.packages',
    ]);
  });

  it("the rendered config is checked while the system builds: a bad value fails the build with nix-pgo check-config's message", async () => {
    const ok = await buildCheckedConfig('settings.policy.minRuns = 3;');
    assert.deepEqual(ok.policy, { thresholdMB: 1, onReady: 'switch', minRuns: 3 });
    let failure: ToolError | undefined;
    try {
      await buildCheckedConfig('settings.policy.maxContributorShare = 2; settings.packages.calc.atr = "calc";');
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      failure = error;
    }
    assert.ok(failure, 'the build with a bad config succeeded');
    assert.match(failure.stderr, /2 problems/);
    assert.match(failure.stderr, /policy\.maxContributorShare: must be/);
    assert.match(failure.stderr, /packages\.calc\.atr: unknown key/);
    assert.match(failure.stderr, /did you mean "attr"\?/);
  });

  describe('the rendered unit, as systemd parses it', { skip: skip || (!analyze && 'no systemd-analyze here') }, () => {
    let dir: string;
    before(() => {
      dir = makeTempDir('nixos-unit');
    });

    it('has no key systemd does not know and no value it cannot parse', async () => {
      const unit = await evalJson<UnitJson>(
        `let c = ${nixosWith('packages = [ "calc" ]; flake = "/etc/nixos";', 'networking.hostName = "box";')}.config; in { inherit (c.systemd) globalEnvironment; inherit (c.systemd.services.nix-pgo) description after wants wantedBy unitConfig environment serviceConfig; }`,
      );
      const path = join(dir, 'nix-pgo.service');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, renderUnit(unit));
      const { stdout, stderr } = await run('systemd-analyze', [
        'verify',
        '--man=no',
        '--recursive-errors=no',
        path,
      ]).catch((error: unknown) => {
        if (error instanceof ToolError) return { stdout: '', stderr: error.stderr };
        throw error;
      });
      const output = `${stdout}\n${stderr}`;
      assert.doesNotMatch(output, /Unknown key|Unknown section|Failed to parse|Invalid|is not valid|ignoring/i, output);
      rmSync(dir, { recursive: true, force: true });
    });
  });
});

async function hasSystemdAnalyze(): Promise<boolean> {
  try {
    await run('systemd-analyze', ['--version']);
    return true;
  } catch {
    return false;
  }
}

interface UnitJson {
  globalEnvironment: Record<string, string | null>;
  description: string;
  after: string[];
  wants: string[];
  wantedBy: string[];
  unitConfig: Record<string, unknown>;
  environment: Record<string, string | null>;
  serviceConfig: Record<string, unknown>;
}

/**
 * The unit file as NixOS writes it (nixos/lib/systemd-lib.nix serviceToUnit):
 * Environment= lines from globalEnvironment // environment without nulls, a
 * list as repeated keys, booleans as true/false. Commands from the Nix store
 * are not built here, so they become /bin/true with their arguments.
 */
function renderUnit(unit: UnitJson): string {
  const value = (v: unknown) => (v === true ? 'true' : v === false ? 'false' : String(v));
  const section = (attrs: Record<string, unknown>) =>
    Object.entries(attrs)
      .flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${key}=${value(x)}`))
      .join('\n');
  const unbuilt = (text: string) => text.replace(/\/nix\/store\/[^ ]+/g, '/bin/true');
  const environment = { ...unit.globalEnvironment, ...unit.environment };
  const service = Object.fromEntries(
    Object.entries(unit.serviceConfig).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map((x) => unbuilt(String(x))) : typeof v === 'string' ? unbuilt(v) : v,
    ]),
  );
  return [
    '[Unit]',
    section({
      Description: unit.description,
      After: unit.after.join(' '),
      Wants: unit.wants.join(' '),
      ...unit.unitConfig,
    }),
    '',
    '[Service]',
    ...Object.entries(environment)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `Environment=${JSON.stringify(`${k}=${v}`)}`),
    section(service),
    '',
    '[Install]',
    `WantedBy=${unit.wantedBy.join(' ')}`,
    '',
  ].join('\n');
}
