import type { SecretCipher } from '../../src/main/settings/secretStore';

/**
 * A stand-in for the OS keychain (Electron's safeStorage is not there in tests): reversible, so
 * the token is kept in the data file as the desktop keeps it (ciphertext in `secrets`) and a desk
 * restarted on its folder is still enrolled. Not a stand-in for the hub.
 */
export const testCipher: SecretCipher = {
  isEncryptionAvailable: () => true,
  encryptString: (plain) => Buffer.from(plain, 'utf8').reverse(),
  decryptString: (cipher) => Buffer.from(cipher).reverse().toString('utf8'),
};
