import { isHypermeshError, loadClusterConfig, type ClusterConfig } from '@hypermesh/runtime';
import { CliError, CliErrorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/**
 * Loads a cluster.yaml. A missing file or an invalid document is an input error (exit 3) whose
 * message lists every problem with its path, as `loadClusterConfig` reports them.
 */
export async function loadCluster(file: string, env: Readonly<Record<string, string | undefined>>): Promise<ClusterConfig> {
  try {
    return await loadClusterConfig(file, { env });
  } catch (err) {
    if (isHypermeshError(err, 'E_CONFIG_INVALID')) {
      const hint = /cannot read/.test(err.message) ? '\n  (create one with `hypermesh init`, or pass --config FILE)' : '';
      throw new CliError(CliErrorCode.InvalidInput, `${err.message}${hint}`, ExitCode.InvalidInput, { cause: err, details: err.details });
    }
    throw err;
  }
}
