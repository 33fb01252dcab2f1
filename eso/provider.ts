/**
 * The one small interface between ESO semantics and a backend. It mirrors ESO's provider client
 * (GetSecret / GetSecretMap / GetAllSecrets) so the data assembly (ESO v2.9.0 externalsecret_controller_secret.go GetProviderSecretData) reads the same.
 * Implementations do the network I/O (agent/) or none at all (the fake provider, here).
 * A client lives for one sync: it may cache per sync (ESO caches by key#version), never across syncs.
 */
import type { ExternalSecretFind, RemoteRef, SecretStore, SecretStoreRef } from './types.ts';

/** Secret key → value bytes. Values are secret material: log keys only, never values. */
export type SecretDataMap = Record<string, Uint8Array>;

export interface SecretsClient {
  /** One value (`data[]`). Throws NoSecretError when the backend says the secret does not exist. */
  getSecret(ref: RemoteRef): Promise<Uint8Array>;
  /** One secret as a key map (`dataFrom[].extract`). */
  getSecretMap(ref: RemoteRef): Promise<SecretDataMap>;
  /** Many secrets, one key each (`dataFrom[].find`). */
  getAllSecrets(find: ExternalSecretFind): Promise<SecretDataMap>;
}

/** Resolves a store reference (already defaulted: kind '' → SecretStore) to a client for this sync. */
export type ClientResolver = (ref: Required<SecretStoreRef>) => Promise<SecretsClient>;

/** Builds a client for a parsed store; provided per provider by whoever owns the I/O. */
export type ClientFactory = (store: SecretStore) => Promise<SecretsClient> | SecretsClient;

/** An empty SecretDataMap without a prototype, so a key named `__proto__` is an ordinary key. */
export function newDataMap(): SecretDataMap {
  return Object.create(null) as SecretDataMap;
}
