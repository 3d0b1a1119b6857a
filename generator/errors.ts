// Errors the user can fix (bad spec, bad option, missing tool). The CLI prints their message
// alone, with no stack trace, and exits with code 2.
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
