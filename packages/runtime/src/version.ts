import packageJson from '../package.json' with { type: 'json' };

/** The runtime's npm name, as plugins name it in `requires.runtime` messages. */
export const RUNTIME_NAME = '@hypermesh/runtime';

/** The runtime's version; plugins check it with `requires.runtime`. */
export const RUNTIME_VERSION: string = packageJson.version;
