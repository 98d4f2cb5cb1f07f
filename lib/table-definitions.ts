/**
 * The tables, described once. The CDK stack builds them from these objects and the
 * local stack and tests create them in DynamoDB Local from the same objects, so the
 * keys and indexes can never drift apart. Plain data: no CDK or SDK types here.
 */
import { LISTED_ATTRIBUTES } from '../lambdas/core/sessions/keys.ts';

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

export interface IndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** Non-key attributes copied into the index (INCLUDE); every attribute (ALL) when absent. */
  nonKeyAttributes?: readonly string[];
}

export interface TableDefinition {
  /** Logical id in the stack and suffix of the local table name. */
  id: 'Models' | 'Configs' | 'Sessions' | 'Audit';
  /** Name of the Lambda environment variable that carries the deployed table name. */
  envVar: 'MODELS_TABLE' | 'CONFIGS_TABLE' | 'SESSIONS_TABLE' | 'AUDIT_TABLE';
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  globalIndexes: IndexDefinition[];
  timeToLiveAttribute?: string;
}

/** One item per model, keyed by the integer id; `modelId = 0` holds the id counter. */
export const modelsTable: TableDefinition = {
  id: 'Models',
  envVar: 'MODELS_TABLE',
  partitionKey: { name: 'modelId', type: 'N' },
  globalIndexes: [],
};

/** One item per user; `userId = "#counter"` holds the chatConfigId counter. */
export const configsTable: TableDefinition = {
  id: 'Configs',
  envVar: 'CONFIGS_TABLE',
  partitionKey: { name: 'userId', type: 'S' },
  globalIndexes: [],
};

/**
 * Session headers, runs (and overflow parts of large runs), run-status items and
 * rate-limit windows, in one table. `byUser` holds a user's session headers by creation
 * time, a key set once: an index key that moved with every turn would cost a delete and
 * a put in the index per turn. It carries only what the session list shows.
 */
export const sessionsTable: TableDefinition = {
  id: 'Sessions',
  envVar: 'SESSIONS_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [
    {
      indexName: 'byUser',
      partitionKey: { name: 'userPk', type: 'S' },
      sortKey: { name: 'createdSk', type: 'S' },
      nonKeyAttributes: LISTED_ATTRIBUTES,
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};

/**
 * The audit trail (lambdas/core/audit): one item per audited operation, in a partition per
 * UTC month, sorted by `operId` (the time in microseconds, made unique by the write's
 * condition), so a time range is a key range. Its own table, so the functions' roles can be
 * given PutItem and Query on it and nothing that changes or deletes a record; records leave
 * only by TTL (`expiresAt`, the configured retention).
 */
export const auditTable: TableDefinition = {
  id: 'Audit',
  envVar: 'AUDIT_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'operId', type: 'N' },
  globalIndexes: [],
  timeToLiveAttribute: 'expiresAt',
};

export const tableDefinitions: readonly TableDefinition[] = [modelsTable, configsTable, sessionsTable, auditTable];
