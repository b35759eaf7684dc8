/**
 * Help texts: one for the program, one per command. Plain text, so that
 * `airgap --help` works without loading anything else.
 */

/** The program's help. */
export const MAIN_HELP = `airgap: mirror container images, Helm charts and files into networks with no internet,
declared in one file and applied like Terraform.

Usage: airgap <command> [flags]

Commands:
  init        Write a commented starter airgap.yaml
  validate    Check airgap.yaml: schema, references, names, filters
  lock        Resolve every image, chart and file to digests: airgap.lock
  plan        Show what would change in the targets (-out FILE saves it)
  apply       Make it so: a saved plan exactly, or plan, confirm, apply
  bundle      Everything in one OCI-layout tar to carry across the gap
  version     Print airgap's version

Common flags:
  -f, --file FILE   The config file (default: ./airgap.yaml)
      --json        Machine-readable output on stdout
      --no-color    No colour (also when NO_COLOR is set)
  -h, --help        Help for airgap or a command
  -v, --version     Print the version

Exit codes:
  0  success (or, for plan, no changes)
  1  error: the reason is printed on stderr
  2  plan --detailed-exitcode: there are changes

Run 'airgap <command> --help' for a command's flags.
`;

/** Help per command. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  init: `Usage: airgap init [-f FILE] [--force]

Writes a commented starter airgap.yaml (default ./airgap.yaml) with a
yaml-language-server modeline, so that editors complete and check every key
against airgap's JSON Schema. Refuses to overwrite an existing file unless
--force is given.

Flags:
  -f, --file FILE   Where to write (default: ./airgap.yaml)
      --force       Overwrite an existing file
`,
  validate: `Usage: airgap validate [-f FILE] [--json]

Checks airgap.yaml without touching the network or needing secrets: YAML
syntax, the JSON Schema, \${VAR} references, and the rules the schema cannot
express (names that refer to other sections, image references, platforms,
tag filters, two entries landing on the same tag, no credentials in URLs).
An unset \${VAR} is a warning here: its value is unknown and the checks that
read it are skipped (lock, plan, apply and bundle need it set). Every
problem is printed on stderr as FILE:LINE:COL: error: WHAT (at /json/pointer).

Flags:
  -f, --file FILE   The config file (default: ./airgap.yaml)
      --json        Print {"valid": ..., "diagnostics": [...]} on stdout

Exit codes: 0 valid (warnings may be printed), 1 invalid.
`,
  lock: `Usage: airgap lock [-f FILE] [--update [REF...]]

Resolves every image (tag filters against the source's tags), chart and file
of airgap.yaml to digests and writes airgap.lock next to it: sorted, without
secrets, byte-identical on a rerun when nothing changed upstream. Commit it.
Entries already locked are only checked to still exist at the source.

Flags:
  --update [REF...]  Resolve everything again, or only the named references
  -f, --file FILE    The config file (default: ./airgap.yaml)
`,
  plan: `Usage: airgap plan [-f FILE] [-out PLANFILE] [--detailed-exitcode] [--target ADDRESS]...

Resolves the desired content (from airgap.lock when present), observes what
the targets really hold (read-only), and shows the difference: + create,
~ update (a tag moved), - delete (only with prune), with digests, sizes and
the reason for each.

Flags:
  -out, --out FILE      Save the plan for \`airgap apply FILE\`
  --detailed-exitcode   Exit 0 when there are no changes, 2 when there are, 1 on error
  --target ADDRESS      Limit to a bundle (bundle.NAME), a registry (registry.NAME)
                        or an address from the plan; repeatable
  --refresh-lock        Ignore airgap.lock and resolve again (nothing is written)
  --from BUNDLE         Use a bundle written by \`airgap bundle\` as the only source
  --parallelism N       Requests and copies in flight (default 4)
  --json                The plan as JSON on stdout
`,
  apply: `Usage: airgap apply [PLANFILE] [--auto-approve] [-f FILE] [--target ADDRESS]...

With PLANFILE: applies exactly that saved plan, after checking that
airgap.yaml and airgap.lock are the ones it was made from and that no target
changed since (a stale plan is refused). Without it: plans, shows the plan
and asks for confirmation on a terminal; without a terminal it refuses
unless --auto-approve is given.

Content is copied children first and tags last, so no tag ever points at an
incomplete image; Ctrl-C stops cleanly and a rerun converges.

Flags:
  --auto-approve      Apply without asking
  --from BUNDLE       Copy from a bundle (every blob is verified before anything is written)
  --target ADDRESS    Limit to a bundle, registry or address (without PLANFILE)
  --parallelism N     Artifacts in flight (default 4)
  --json              NDJSON events on stdout

Exit codes: 0 all applied, 1 any change failed or apply was refused.
`,
  bundle: `Usage: airgap bundle -o FILE.tar [--bundle NAME]... [--since OLD.lock|OLD.tar] [-f FILE]

Writes one tar that is an OCI image layout at its root: every image of the
chosen bundles (default: all), filtered to their platforms, under its full
upstream name (org.opencontainers.image.ref.name and io.containerd.image.name),
OCI charts, and the config (secrets removed) and lock. skopeo reads it as
oci-archive:FILE.tar:NAME, containerd imports it (ctr images import), and
\`airgap plan --from FILE.tar\` / \`apply --from FILE.tar\` use it as the only
source on the far side. Streaming, deterministic (same inputs, same bytes),
written to a temp name and renamed.

Flags:
  -o, --output FILE     Where to write the bundle
  --bundle NAME         Only this bundle; repeatable
  --since OLD           Leave out blobs an earlier bundle (or the lock it was
                        made from) already delivered: a differential bundle
`,
  version: `Usage: airgap version [--json]

Prints airgap's version (and, with --json, the Node.js version and platform).
`,
};
