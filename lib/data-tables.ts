import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tableDefinitions, type KeyAttribute, type TableDefinition } from './table-definitions.ts';
import type { ServiceFunction } from './service-function.ts';

export type TableId = TableDefinition['id'];

/** Item-level actions; Scan is granted apart because only the model list needs it. */
export const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
export const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
export const TABLE_SCAN = ['dynamodb:Scan'];
const INDEX_ACTIONS = ['dynamodb:Query', 'dynamodb:Scan'];

/** What an append-only table's reader and writer may do: add an item, read a key range. */
export const APPEND_ONLY_ALLOW = ['dynamodb:PutItem', 'dynamodb:Query'];

/**
 * Every data-plane action that changes or removes an item, and the table settings that
 * would (TTL, the table itself, its resource policy): denied outright on an append-only
 * table, so no later grant, however broad, can give them.
 */
export const APPEND_ONLY_DENY = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:UpdateTimeToLive',
  'dynamodb:UpdateTable',
  'dynamodb:DeleteTable',
  'dynamodb:PutResourcePolicy',
  'dynamodb:DeleteResourcePolicy',
];

const attribute = (key: KeyAttribute): Attribute => ({
  name: key.name,
  type: key.type === 'N' ? AttributeType.NUMBER : AttributeType.STRING,
});

export interface DataTablesProps {
  /** Production keeps its data: deletion protection on and RETAIN on stack deletion. */
  production: boolean;
}

/** The tables, built from the same definitions the local stack and tests use. */
export class DataTables extends Construct {
  private readonly tables = new Map<TableId, { table: Table; definition: TableDefinition }>();

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    for (const definition of tableDefinitions) {
      const table = new Table(this, definition.id, {
        partitionKey: attribute(definition.partitionKey),
        sortKey: definition.sortKey && attribute(definition.sortKey),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: props.production,
        removalPolicy: props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        timeToLiveAttribute: definition.timeToLiveAttribute,
      });
      for (const index of definition.globalIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey && attribute(index.sortKey),
          ...(index.nonKeyAttributes ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.nonKeyAttributes] } : {}),
        });
      }
      this.tables.set(definition.id, { table, definition });
    }
  }

  table(id: TableId): Table {
    return this.entry(id).table;
  }

  /** MODELS_TABLE, CONFIGS_TABLE, … → the deployed names, for the tables a function uses. */
  environmentOf(ids: readonly TableId[]): Record<string, string> {
    return Object.fromEntries(ids.map((id) => [this.entry(id).definition.envVar, this.entry(id).table.tableName]));
  }

  /**
   * Grants the actions on one table, and Query/Scan on its indexes by name. Written
   * out instead of `table.grant*`, whose `index/*` wildcard and broader action sets
   * are more than a function needs.
   */
  grant(fn: ServiceFunction, id: TableId, actions: string[]): void {
    const { table, definition } = this.entry(id);
    fn.allow(new PolicyStatement({ actions, resources: [table.tableArn] }));
    const indexActions = actions.filter((action) => INDEX_ACTIONS.includes(action));
    if (indexActions.length && definition.globalIndexes.length) {
      fn.allow(
        new PolicyStatement({
          actions: indexActions,
          resources: definition.globalIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
        }),
      );
    }
  }

  /**
   * PutItem and Query, nothing else, and an explicit deny of everything that changes or
   * deletes an item (the audit trail). IAM cannot require a PutItem's condition, so the
   * writer's `attribute_not_exists` is what keeps a put from replacing a record; the
   * record's log line and the table's point-in-time recovery back that up.
   */
  grantAppendOnly(fn: ServiceFunction, id: TableId): void {
    const { table } = this.entry(id);
    fn.allow(new PolicyStatement({ actions: APPEND_ONLY_ALLOW, resources: [table.tableArn] }));
    fn.allow(new PolicyStatement({ effect: Effect.DENY, actions: APPEND_ONLY_DENY, resources: [table.tableArn, `${table.tableArn}/*`] }));
  }

  all(): Table[] {
    return [...this.tables.values()].map(({ table }) => table);
  }

  private entry(id: TableId) {
    const entry = this.tables.get(id);
    if (!entry) throw new Error(`no table ${id}`);
    return entry;
  }
}
