/** A line describing the machine a benchmark ran on. */
export function machineLine(): string;
/** Replaces (or appends) the section `id` of docs/benchmarks.md with `markdown`; returns the file path. */
export function writeBenchSection(id: string, markdown: string): string;
