import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { RuntimeApi, type Invocation, type InvocationRequest } from './runtime-api.ts';

export interface FunctionConfig {
  name: string;
  /** The unpacked deployment package (LAMBDA_TASK_ROOT). */
  taskRoot: string;
  /** `file.export`, as in the function's configuration. */
  handler: string;
  timeoutMs: number;
  memoryMb: number;
  region: string;
  /** The function's own environment, as the stack sets it. */
  env: Record<string, string>;
}

/** What the Lambda runtime's bootstrap does: load the client and let it run the handler. */
const bootstrap = (ricModule: string) =>
  `const { run } = await import(${JSON.stringify(ricModule)}); await run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);`;

/**
 * The node arguments Lambda's Node.js runtime starts with (its bootstrap script): the
 * young generation a tenth of the memory, the old generation the rest.
 */
const nodeArguments = (memoryMb: number) => {
  const newSpace = Math.floor(memoryMb / 10);
  return ['--expose-gc', '--max-http-header-size', '81920', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
};

/** Points in an environment's life a caller may act on (the bench puts the process in a CPU quota). */
export interface EnvironmentHooks {
  /** The process was just started, before its runtime did anything. */
  spawned?(pid: number): void;
  /** The process finished its INIT (asked for its first invocation), before any invocation is handed to it. */
  initialized?(pid: number): void;
}

/** Logs kept per environment, the newest part. */
const LOG_LIMIT = 1024 * 1024;

/**
 * One execution environment: a Node.js process running AWS's runtime client against
 * its own Runtime API, with the environment and node arguments Lambda sets. As on Lambda, the process is
 * frozen (SIGSTOP) while it waits for work and thawed when an invocation arrives, so
 * nothing runs between invocations; it is killed when an invocation passes its deadline.
 */
export class ExecutionEnvironment {
  readonly api = new RuntimeApi();
  private process?: ChildProcess;
  /** Killed or exited: never handed another invocation. */
  private ended = false;
  private frozen = false;
  private logText = '';
  busy = false;
  /** Invocations this environment has taken: 1 is its cold start. */
  invocations = 0;
  /** How long the process took from its start to its first request for work. */
  initDurationMs?: number;

  constructor(
    private readonly config: FunctionConfig,
    private readonly hooks: EnvironmentHooks = {},
  ) {}

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get alive(): boolean {
    return !!this.process && !this.ended;
  }

  get logs(): string {
    return this.logText;
  }

  async start(ricModule: string): Promise<void> {
    const { config } = this;
    const runtimeApi = await this.api.listen();
    const startedAt = Date.now();
    this.api.onNext = (hasWork) => {
      if (this.initDurationMs === undefined) {
        this.initDurationMs = Date.now() - startedAt;
        this.hooks.initialized?.(this.process!.pid!);
      }
      if (!hasWork) this.freeze();
    };
    this.api.onWake = () => this.thaw();
    this.api.onInitError = (error) => this.api.failAll(error);
    this.api.onTimeout = () => void this.stop();
    const child = spawn(process.execPath, [...nodeArguments(config.memoryMb), '--input-type=module', '-e', bootstrap(ricModule)], {
      cwd: config.taskRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        ...config.env,
        AWS_REGION: config.region,
        AWS_DEFAULT_REGION: config.region,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_LAMBDA_FUNCTION_NAME: config.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb),
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${process.pid}${Date.now()}`,
        AWS_LAMBDA_RUNTIME_API: runtimeApi,
        LAMBDA_TASK_ROOT: config.taskRoot,
        LAMBDA_RUNTIME_DIR: config.taskRoot,
        _HANDLER: config.handler,
      },
    });
    this.process = child;
    if (child.pid) this.hooks.spawned?.(child.pid);
    const keep = (chunk: Buffer) => {
      this.logText = (this.logText + chunk.toString('utf8')).slice(-LOG_LIMIT);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, signal) => {
      this.ended = true;
      this.api.failAll({ errorType: 'Runtime.ExitError', errorMessage: `the runtime exited (${signal ?? `code ${code}`})` });
      this.api.close();
    });
  }

  invoke(request: InvocationRequest): Invocation {
    this.invocations++;
    this.busy = true;
    const invocation = this.api.invoke(request);
    void invocation.done.then(() => (this.busy = false));
    return invocation;
  }

  /** Ends the process, as Lambda does when an invocation times out or the environment is retired. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.ended = true;
    const exit = once(child, 'exit');
    child.kill('SIGKILL');
    await exit;
  }

  private freeze(): void {
    if (this.frozen || !this.alive) return;
    this.frozen = true;
    this.process!.kill('SIGSTOP');
  }

  private thaw(): void {
    if (!this.frozen || !this.alive) return;
    this.frozen = false;
    this.process!.kill('SIGCONT');
  }
}
