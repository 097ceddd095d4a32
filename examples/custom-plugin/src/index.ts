/**
 * An example HyperMesh plugin, written with public imports only.
 *
 * @packageDocumentation
 */
export { blocklistConfig, blocklistPlugin, blocklistRef, type Blocklist } from './blocklist-plugin.js';
export { blocklistPlugin as default } from './blocklist-plugin.js';
