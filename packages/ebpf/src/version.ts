import packageJson from '../package.json' with { type: 'json' };

/** This package's npm name, also the datapath plugin's name. */
export const EBPF_PLUGIN_NAME = '@hypermesh/ebpf';

/** This package's version, also the datapath plugin's version. */
export const EBPF_VERSION: string = packageJson.version;
