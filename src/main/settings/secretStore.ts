import type { Db } from '../storage/database';

/** Where the Gemini API key lives. The key never leaves main. */
export interface SecretStore {
  readonly kind: 'safeStorage' | 'environment' | 'memory';
  get(): string | null;
  set(value: string | null): void;
}

/** Encrypts with the OS keychain (Electron `safeStorage`), injected by the shell. */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(cipher: Buffer): string;
}

const API_KEY = 'gemini_api_key';
/** The sync hub's device token of this desk (src/main/sync), kept like the API key. */
export const SYNC_TOKEN_SECRET = 'sync_device_token';

/** Desktop: the ciphertext is stored in SQLite, the plain key only in memory. */
export class EncryptedSecretStore implements SecretStore {
  readonly kind = 'safeStorage' as const;
  constructor(
    private readonly db: Db,
    private readonly cipher: SecretCipher,
    /** Which secret (row of `secrets`): the Gemini API key unless told otherwise. */
    private readonly name: string = API_KEY,
  ) {}

  get(): string | null {
    const row = this.db.prepare('SELECT ciphertext FROM secrets WHERE name = ?').get(this.name) as { ciphertext: Buffer } | undefined;
    if (!row || !this.cipher.isEncryptionAvailable()) return null;
    return this.cipher.decryptString(row.ciphertext);
  }

  set(value: string | null): void {
    if (value === null) {
      this.db.prepare('DELETE FROM secrets WHERE name = ?').run(this.name);
      return;
    }
    if (!this.cipher.isEncryptionAvailable()) {
      throw new Error('the OS keychain is not available, so the API key cannot be stored safely');
    }
    this.db
      .prepare(
        'INSERT INTO secrets (name, ciphertext, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at',
      )
      .run(this.name, this.cipher.encryptString(value), Date.now());
  }
}

/** Bridge mode: the key comes from `GEMINI_API_KEY` and stays in this process only. */
export class ProcessSecretStore implements SecretStore {
  private readonly fromEnvironment: string | null;
  private value: string | null;

  constructor(initial: string | undefined) {
    this.fromEnvironment = initial && initial.trim() ? initial.trim() : null;
    this.value = this.fromEnvironment;
  }

  /** `environment` while the key in use is the one the process was started with. */
  get kind(): 'environment' | 'memory' {
    return this.value !== null && this.value === this.fromEnvironment ? 'environment' : 'memory';
  }

  get(): string | null {
    return this.value;
  }

  set(value: string | null): void {
    this.value = value;
  }
}
