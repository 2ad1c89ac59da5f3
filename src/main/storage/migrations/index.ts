import type { Migration } from '../database';
import { coreMigration } from './001_core';
import { memoryMigration } from './002_memory';
import { commerceMigration } from './003_commerce';
import { agentMigration } from './004_agent';
import { agentCachedTokensMigration } from './005_agent_cached_tokens';
import { identityMigration } from './006_identity';
import { customersMigration } from './007_customers';
import { syncMigration } from './008_sync';
import { searchVocabularyMigration } from './009_search_vocabulary';

/** Every schema step of the app's one SQLite file, in version order. */
export const migrations: readonly Migration[] = [
  coreMigration,
  memoryMigration,
  commerceMigration,
  agentMigration,
  agentCachedTokensMigration,
  identityMigration,
  customersMigration,
  syncMigration,
  searchVocabularyMigration,
];
