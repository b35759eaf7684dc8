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

Checks airgap.yaml without touching the network: YAML syntax, the JSON
Schema, environment variables, and the rules the schema cannot express
(names that refer to other sections, image references, platforms, tag
filters, two entries landing on the same tag). Every problem is printed on
stderr as FILE:LINE:COL: error: WHAT (at /json/pointer).

Flags:
  -f, --file FILE   The config file (default: ./airgap.yaml)
      --json        Print {"valid": ..., "diagnostics": [...]} on stdout

Exit codes: 0 valid (warnings may be printed), 1 invalid.
`,
  version: `Usage: airgap version [--json]

Prints airgap's version (and, with --json, the Node.js version and platform).
`,
};
