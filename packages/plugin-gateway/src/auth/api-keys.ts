import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ApiKeyConfig } from '../config.js';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { ROLES, type Principal, type Role } from './roles.js';

/** An API key as listed by the gateway (never the secret). */
export interface ApiKeyInfo {
  readonly id: string;
  readonly role: Role;
  /** `config`: from the plugin config (cannot be deleted through the API); `api`: made through the API. */
  readonly source: 'config' | 'api';
  /** When it was made (ISO 8601), for keys made through the API. */
  readonly createdAt?: string;
  /** Who made it, for keys made through the API. */
  readonly createdBy?: string;
}

interface StoredKey extends ApiKeyInfo {
  readonly sha256: string;
}

const keysFileSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      id: z.string(),
      role: z.enum(ROLES),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      createdAt: z.string().optional(),
      createdBy: z.string().optional(),
    }),
  ),
});

/** SHA-256 of an API key, lower-case hex: what configs and key files store instead of the key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key (`hm_` and 256 random bits, base64url). */
export function generateApiKey(): string {
  return `hm_${randomBytes(32).toString('base64url')}`;
}

/**
 * The API keys the gateway accepts: the configured ones plus those made through the API (kept in
 * `keysFile` when one is configured). Only SHA-256 hashes are held; a presented key is hashed and
 * looked up, so no comparison leaks timing about the stored secrets.
 */
export class ApiKeyStore {
  private readonly byHash = new Map<string, StoredKey>();
  private readonly byId = new Map<string, StoredKey>();

  constructor(
    configured: readonly ApiKeyConfig[],
    private readonly keysFile: string | undefined,
  ) {
    for (const k of configured) this.add({ id: k.id, role: k.role, source: 'config', sha256: k.sha256 ?? hashApiKey(k.key!) });
  }

  /** Reads the keys file, if configured and present. */
  async load(): Promise<void> {
    if (this.keysFile === undefined) return;
    let text: string;
    try {
      text = await readFile(this.keysFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new GatewayError(GatewayErrorCode.StartFailed, `cannot read the API keys file ${this.keysFile}: ${(err as Error).message}`, { cause: err });
    }
    const parsed = keysFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new GatewayError(
        GatewayErrorCode.StartFailed,
        `the API keys file ${this.keysFile} is malformed (${parsed.error.issues[0]?.message}); fix or remove it`,
      );
    }
    for (const k of parsed.data.keys) if (!this.byId.has(k.id)) this.add({ ...k, source: 'api' });
  }

  /** The caller a presented key belongs to, or `undefined`. */
  authenticate(key: string): Principal | undefined {
    const stored = this.byHash.get(hashApiKey(key));
    return stored === undefined ? undefined : { id: stored.id, role: stored.role, via: 'api-key' };
  }

  /** Every key, sorted by id. */
  list(): ApiKeyInfo[] {
    return [...this.byId.values()].map(({ sha256: _sha, ...info }) => info).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Makes a key; the secret is returned once and never stored. */
  async create(id: string, role: Role, createdBy: string, now: Date): Promise<ApiKeyInfo & { readonly key: string }> {
    if (this.byId.has(id)) throw new GatewayError(GatewayErrorCode.Conflict, `an API key with id '${id}' exists; delete it first or pick another id`);
    const key = generateApiKey();
    const stored: StoredKey = { id, role, source: 'api', sha256: hashApiKey(key), createdAt: now.toISOString(), createdBy };
    this.add(stored);
    try {
      await this.persist();
    } catch (err) {
      this.remove(stored);
      throw err;
    }
    const { sha256: _sha, ...info } = stored;
    return { ...info, key };
  }

  /** Deletes a key made through the API. */
  async delete(id: string): Promise<void> {
    const stored = this.byId.get(id);
    if (stored === undefined) throw new GatewayError(GatewayErrorCode.ResourceNotFound, `no API key with id '${id}'; list them with GET /v1/keys`);
    if (stored.source === 'config') {
      throw new GatewayError(GatewayErrorCode.Conflict, `API key '${id}' comes from the gateway config; remove it there and restart the node`);
    }
    this.remove(stored);
    try {
      await this.persist();
    } catch (err) {
      this.add(stored);
      throw err;
    }
  }

  private add(key: StoredKey): void {
    this.byHash.set(key.sha256, key);
    this.byId.set(key.id, key);
  }

  private remove(key: StoredKey): void {
    this.byHash.delete(key.sha256);
    this.byId.delete(key.id);
  }

  private async persist(): Promise<void> {
    if (this.keysFile === undefined) return;
    const keys = [...this.byId.values()]
      .filter((k) => k.source === 'api')
      .map(({ source: _source, ...k }) => k);
    // Write then rename, so a crash never leaves a half-written file.
    const temporary = `${this.keysFile}.${process.pid}.tmp`;
    await mkdir(dirname(this.keysFile), { recursive: true });
    await writeFile(temporary, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.keysFile);
  }
}
