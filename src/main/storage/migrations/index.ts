import type { Migration } from '../database';
import { coreMigration } from './001_core';

/** Every schema step of the app's one SQLite file, in version order. */
export const migrations: readonly Migration[] = [coreMigration];
