import type { AnyOperation, HttpMethod } from '../api/operation.js';

/** The outcome of matching a request line. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly operation: AnyOperation; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly HttpMethod[] }
  | { readonly kind: 'not-found' };

interface Route {
  readonly operation: AnyOperation;
  readonly segments: readonly string[];
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Matches paths against the operations' `/v1/x/:param` patterns; literal segments win over params. */
export class Router {
  private readonly routes: Route[];

  constructor(operations: readonly AnyOperation[]) {
    this.routes = operations.map((operation) => ({ operation, segments: split(operation.path) }));
    // More literal segments first, so /v1/threats/scores beats /v1/threats/:x if both exist.
    this.routes.sort((a, b) => literalCount(b) - literalCount(a));
  }

  /** Finds the operation for `method` and `pathname` (percent-decoded params). */
  match(method: string, pathname: string): RouteMatch {
    const parts = split(pathname);
    const allowed: HttpMethod[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      if (route.operation.method === method || (method === 'HEAD' && route.operation.method === 'GET')) {
        return { kind: 'found', operation: route.operation, params };
      }
      allowed.push(route.operation.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed: [...new Set(allowed)] } : { kind: 'not-found' };
  }
}

function literalCount(route: Route): number {
  return route.segments.filter((s) => !s.startsWith(':')).length;
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]!);
      } catch {
        return undefined;
      }
    } else if (p !== parts[i]) {
      return undefined;
    }
  }
  return params;
}
