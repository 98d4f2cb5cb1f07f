import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiChatStack } from '../lib/ai-chat-stack.ts';
import { readStackConfig, stackId } from '../lib/config.ts';

const app = new App();
const config = readStackConfig(app.node);
new AiChatStack(app, stackId(config.stage), {
  config,
  description: `AI chat service (${config.stage}): REST API, chat stream, data and monitoring`,
});
// Every synth (and so every deploy) fails on a finding that is not acknowledged with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
