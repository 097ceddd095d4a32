/**
 * Process-wide state of the native layer. koffi's type registry and libbpf's print callback are
 * global to the process, while this module may be evaluated more than once in it (two copies of
 * the package, or test runners that re-evaluate modules per file): the state lives on globalThis
 * so every copy shares the one set of declarations and the one callback.
 */
export function sharedState<T extends object>(name: string, init: () => T): T {
  const key = Symbol.for(`@hypermesh/ebpf:${name}`);
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  return (store[key] ??= init());
}
