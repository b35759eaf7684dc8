/**
 * The one set of ajv options for airgap.yaml, shared by the run-time compile
 * and the build-time standalone validator so that both report the same errors.
 */
export const AJV_OPTIONS = {
  allErrors: true,
  verbose: true,
  strict: true,
  strictTypes: false,
  strictRequired: false,
  discriminator: true,
  logger: false,
} as const;
