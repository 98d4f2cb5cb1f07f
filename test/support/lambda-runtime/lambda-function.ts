import { ExecutionEnvironment, type EnvironmentHooks, type FunctionConfig } from './execution-environment.ts';
import type { Invocation } from './runtime-api.ts';

export type { EnvironmentHooks, FunctionConfig };

/**
 * A function as Lambda runs it: each invocation goes to an idle warm environment when
 * there is one, else to a new one (a cold start); an environment that timed out or
 * crashed is never reused.
 */
export class LambdaFunction {
  readonly environments: ExecutionEnvironment[] = [];

  constructor(
    readonly config: FunctionConfig,
    private readonly ricModule: string,
    private readonly hooks: EnvironmentHooks = {},
  ) {}

  get arn(): string {
    return `arn:aws:lambda:${this.config.region}:000000000000:function:${this.config.name}`;
  }

  async invoke(event: unknown): Promise<Invocation & { environment: ExecutionEnvironment }> {
    let environment = this.environments.find((env) => env.alive && !env.busy);
    if (!environment) {
      environment = new ExecutionEnvironment(this.config, this.hooks);
      this.environments.push(environment);
      environment.busy = true;
      await environment.start(this.ricModule);
    }
    const invocation = environment.invoke({ event, timeoutMs: this.config.timeoutMs, functionArn: this.arn });
    return { ...invocation, environment };
  }

  async stop(): Promise<void> {
    await Promise.all(this.environments.map((env) => env.stop()));
  }
}
