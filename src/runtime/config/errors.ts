/** Configuration errors: every problem listed at once, exit code 78 (EX_CONFIG). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = 78;
  constructor(readonly problems: readonly string[]) {
    super(`configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
