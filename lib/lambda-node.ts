/**
 * The Node.js major the functions run on: the newest LTS among CDK's Lambda runtimes.
 * The bundles target it, and the tests and the bench run on it: package.json pins the
 * npm `node` package of this major, whose binary npm scripts put first on the PATH.
 * A stack test fails while the three disagree.
 */
export const LAMBDA_NODE_MAJOR = 24;

/** The runtime's name in Lambda and CloudFormation. */
export const LAMBDA_RUNTIME_NAME = `nodejs${LAMBDA_NODE_MAJOR}.x`;
