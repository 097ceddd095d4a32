#!/usr/bin/env node
// The `hypermesh` executable.
import { runCli } from './cli/run-cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hypermesh: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
