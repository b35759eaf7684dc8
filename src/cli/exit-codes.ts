/**
 * Process exit codes, as Terraform defines them, so that CI scripts written
 * for `terraform plan -detailed-exitcode` read airgap the same way.
 */
export const ExitCode = {
  /** Success, or a plan with no changes. */
  Ok: 0,
  /** Any error: invalid config, failed request, refused plan. */
  Error: 1,
  /** `plan --detailed-exitcode` only: the plan has changes. */
  Changes: 2,
} as const;

/** One of the exit codes above. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
