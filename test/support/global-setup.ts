import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';

/** One in-memory DynamoDB Local for the whole run; each test file uses its own tables. */
export default async function setup(project: TestProject) {
  const ddb = await startDynamoDbLocal();
  project.provide('ddbEndpoint', ddb.endpoint);
  return () => ddb.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    ddbEndpoint: string;
  }
}
