import { ctVerifyCommand } from '../commands/ct-verify.js';
import { digCommand } from '../commands/dig.js';
import { initCommand } from '../commands/init.js';
import { pluginsCommand } from '../commands/plugins.js';
import { statusCommand } from '../commands/status.js';
import { upCommand } from '../commands/up.js';
import { deployCommand, logsCommand, psCommand, rmCommand } from '../commands/workloads.js';
import type { Command } from './command.js';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  upCommand,
  statusCommand,
  deployCommand,
  psCommand,
  logsCommand,
  rmCommand,
  digCommand,
  ctVerifyCommand,
  pluginsCommand,
];
