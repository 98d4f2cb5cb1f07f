import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { bundleFunction, PROJECT_ROOT } from './function-bundle.ts';

/**
 * CDK's local bundling hook, running our esbuild build in-process. A class with the
 * entry as a field: CDK caches staged assets by a key made from the bundling options
 * as JSON, so two functions must not serialize alike.
 */
class SplitBundling implements ILocalBundling {
  constructor(readonly entry: string) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(this.entry, outputDir);
    return true;
  }
}

/**
 * The function's code, bundled with code splitting (NodejsFunction cannot split: it
 * passes esbuild an output file, not a folder). The asset hash is the hash of the
 * output, so any change in our code or in a dependency's bundled code changes it.
 * When bundling is skipped (context `aws:cdk:bundling-stacks`), CDK hashes the
 * construct path instead: nothing is built and the project is never fingerprinted.
 */
export const splitBundleCode = (entry: string): Code =>
  Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never pulled: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('local-bundling-only'),
      local: new SplitBundling(entry),
    },
  });
