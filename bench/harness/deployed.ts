import { join } from 'node:path';
import { logicalIdOf, type Synthesized } from '../../test/support/synth.ts';

export const HANDLERS = {
  api: { prefix: 'ApiHandler', entry: 'lambdas/api/handler.ts' },
  stream: { prefix: 'ChatStreamHandler', entry: 'lambdas/chat-stream/handler.ts' },
} as const;
export type Handler = keyof typeof HANDLERS;

interface FunctionProperties {
  Code: { S3Key: string };
  MemorySize: number;
  Timeout: number;
  Environment: { Variables: Record<string, unknown> };
}

export interface DeployedFunction {
  assetDir: string;
  memoryMb: number;
  timeoutS: number;
  nodeOptions: string | undefined;
  /** The variables with plain values (names of other resources are references, left out). */
  environment: Record<string, string>;
}

/** A function as the synthesized stack deploys it: its bundle folder, memory, timeout and environment. */
export const deployedFunction = (synthesized: Synthesized, name: Handler): DeployedFunction => {
  const template = synthesized.template.toJSON() as { Resources: Record<string, { Properties: FunctionProperties }> };
  const fn = template.Resources[logicalIdOf(synthesized.template, 'AWS::Lambda::Function', HANDLERS[name].prefix)]!.Properties;
  const variables = fn.Environment.Variables;
  return {
    assetDir: join(synthesized.assembly.directory, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`),
    memoryMb: fn.MemorySize,
    timeoutS: fn.Timeout,
    nodeOptions: variables.NODE_OPTIONS as string | undefined,
    environment: Object.fromEntries(Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string')),
  };
};

/**
 * The environment a deployed bundle runs with here: the local stack's (DynamoDB Local,
 * the local cipher and image folder, the dev secret, the model host allowed) under the
 * function's own plain values.
 */
export const localEnvironment = (stackEnv: Record<string, string>, fn: DeployedFunction): Record<string, string> => {
  const { NODE_OPTIONS: _ignored, ...env } = stackEnv;
  return { ...env, ...fn.environment, ...(fn.nodeOptions ? { NODE_OPTIONS: fn.nodeOptions } : {}) };
};
