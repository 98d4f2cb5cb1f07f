import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAMBDA_NODE_MAJOR } from '../../../lib/lambda-node.ts';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };

/** The tests run on the Node major the functions run on (the stack test checks the runtime itself). */
describe("Lambda's Node", () => {
  it('is the Node these tests run on: npm scripts put the pinned `node` package first on the PATH', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(LAMBDA_NODE_MAJOR);
  });

  it('is the major of the `node` package, pinned to one version', () => {
    expect(packageJson.devDependencies.node).toMatch(new RegExp(`^${LAMBDA_NODE_MAJOR}\\.\\d+\\.\\d+$`));
  });

  it("is the major of Node's types", () => {
    expect(packageJson.devDependencies['@types/node']).toMatch(new RegExp(`^${LAMBDA_NODE_MAJOR}\\.\\d+\\.\\d+$`));
  });
});
