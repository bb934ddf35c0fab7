/** Exit codes of the `drill` CLI, as the README lists them. */
export const ExitCode = { pass: 0, thresholdFailed: 1, invalidInput: 2, infrastructure: 3, interrupted: 130 } as const;

/** The scenario file or a command-line value is wrong; nothing was started. Exit 2. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** Docker, an image, a port or a container misbehaved; not a verdict on the system under test. Exit 3. */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
}

export const isInvalidInputError = (e: unknown): e is InvalidInputError => e instanceof InvalidInputError;
export const isInfrastructureError = (e: unknown): e is InfrastructureError => e instanceof InfrastructureError;
