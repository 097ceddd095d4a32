/** Where a command writes: results to stdout, progress and diagnostics to stderr. */
export interface OutputStreams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * How commands talk to the user. In `--json` mode stdout carries exactly one JSON document per
 * command (or one JSON line per event for `up`) and progress is silent; otherwise results are
 * tables and sentences, and progress lines go to stderr so a pipe sees only the result.
 */
export class Output {
  constructor(
    readonly streams: OutputStreams,
    /** `--json`. */
    readonly json: boolean,
  ) {}

  /** A progress line on stderr ("… deploying echo"), silent in `--json` mode. */
  progress(message: string): void {
    if (!this.json) this.streams.stderr.write(`… ${message}\n`);
  }

  /** A finished step on stderr ("✔ deployed echo"), silent in `--json` mode. */
  done(message: string): void {
    if (!this.json) this.streams.stderr.write(`✔ ${message}\n`);
  }

  /** A warning on stderr (also in `--json` mode: it is not part of the result). */
  warn(message: string): void {
    this.streams.stderr.write(`! ${message}\n`);
  }

  /** The command's result: the value as JSON, or the human rendering. */
  result(value: unknown, human: () => string | readonly string[]): void {
    if (this.json) {
      this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    }
    const text = human();
    const lines = typeof text === 'string' ? [text] : text;
    if (lines.length > 0) this.streams.stdout.write(`${lines.join('\n')}\n`);
  }

  /** One JSON line on stdout (`up --json` events). */
  event(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A line on stdout in human mode only. */
  line(text = ''): void {
    if (!this.json) this.streams.stdout.write(`${text}\n`);
  }
}

/** Renders rows as left-aligned columns with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)];
}

/** Bytes as a short binary quantity: `64Mi`, `8Gi`. */
export function formatBytes(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  if (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
    return `${value.toFixed(1)}${units[unit]}`;
  }
  return `${value}${units[unit]}`;
}
