/** The JSON views of the REST API: the query service's read views (src/domain/queries/read-views.ts). */
export * from '../../domain/queries/read-views.js';
