/** Persistence of @charge-it/core: entities, ORM setup and the group-commit write batcher. */
export * from './entities/index.js';
export {
  createOrm,
  MIGRATIONS_TABLE,
  type CreateOrmOptions,
  type CsmsOrm,
  type CsmsEntityManager,
} from './create-orm.js';
export {
  parseDatabaseUrl,
  redactDatabaseUrl,
  ACCEPTED_DATABASE_URL_FORMS,
  type DatabaseTarget,
} from './database-url.js';
export { WriteBatcher, type WriteBatcherDeps, type WriteWork, type RowWork, type BatchWriter } from './write-batcher.js';
