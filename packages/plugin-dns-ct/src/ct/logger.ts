/** The logger the CT components write to; a pino logger (`ctx.logger`) fits. */
export interface CtLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}
