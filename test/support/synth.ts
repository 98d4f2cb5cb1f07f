import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiChatStack } from '../../lib/ai-chat-stack.ts';
import { readStackConfig, stackId } from '../../lib/config.ts';

/** The context `cdk synth` runs with (feature flags, defaults), so tests see the same stack. */
const cdkJsonContext = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

export interface Synthesized {
  app: App;
  stack: AiChatStack;
  assembly: CloudAssembly;
  template: Template;
  /** Violations cdk-nag reported that no acknowledgment covered (errors and warnings). */
  nagViolations: { ruleName: string; paths: string[] }[];
  /** Removes the cloud assembly (done at once unless bundles were asked for). */
  dispose: () => void;
}

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/**
 * Synthesizes the app as bin/app.ts builds it, cdk-nag included (an unacknowledged
 * error makes `app.synth()` throw). Bundling is skipped unless asked for: the
 * template does not depend on it and esbuild takes seconds.
 */
export interface SynthOptions {
  bundle?: boolean;
  /** Adds constructs to the stack before synthesis (to prove a check fires). */
  extend?: (stack: AiChatStack) => void;
}

export const synth = (context: Record<string, unknown> = {}, options: SynthOptions = {}): Synthesized => {
  const outdir = mkdtempSync(join(tmpdir(), 'ai-chat-cdk-'));
  const dispose = () => rmSync(outdir, { recursive: true, force: true });
  try {
    const app = new App({
      outdir,
      context: { ...cdkJsonContext, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context },
    });
    const config = readStackConfig(app.node);
    const stack = new AiChatStack(app, stackId(config.stage), { config });
    options.extend?.(stack);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
    const nagViolations = report.pluginReports
      .filter((plugin) => plugin.pluginName === 'AwsSolutions')
      .flatMap((plugin) => plugin.violations.map((v) => ({ ruleName: v.ruleName, paths: v.violatingConstructs.map((c) => c.constructPath) })));
    const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
    if (!options.bundle) dispose();
    return { app, stack, assembly, template, nagViolations, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
};

/** The one resource of a type whose logical id starts with the given construct path prefix. */
export const logicalIdOf = (template: Template, type: string, prefix: string): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
};
