import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { installLambdaStreamShim } from '../../local/lambda-stream-shim.ts';
import { localContext } from '../../local/lambda-context.ts';
import { httpApiEvent, type ApiCall } from '../../test/support/api-call.ts';

/**
 * One deployed function bundle in a node of its own, as a Lambda instance is: figure 8
 * builds this file with esbuild and runs it with plain node (no tsx loader in the
 * measured process), the function's environment and NODE_OPTIONS. It imports the bundle,
 * then answers invocations from the parent over IPC with what each one cost the process:
 * CPU, wall time, the bytes the handler wrote to stdout/stderr (CloudWatch's input, with
 * the output itself dropped) and the peak RSS so far.
 */
export type ProbeCommand = { id: number; call: ApiCall; stream: boolean } | { id: number; exit: true };

export interface ProbeReady {
  type: 'ready';
  importMs: number;
  rssMb: number;
}

export interface Invocation {
  id: number;
  cpuMs: number;
  wallMs: number;
  /** A stream's CPU and wall time before its first content line, between first and last, and after the last. */
  phases?: { before: Mark; relay: Mark; after: Mark };
  logBytes: number;
  /** Lines written: CloudWatch meters each event on top of its text. */
  logLines: number;
  /** EMF metric series (namespace, name and dimension values) the invocation wrote. */
  metricSeries: string[];
  responseBytes: number;
  peakRssMb: number;
  /** The response body (the stream's lines, or the api's JSON), for the parent to check. */
  body: string;
}

let logBytes = 0;
let logLines = 0;
let metricSeries: string[] = [];

/** The series of an EMF line: each metric with its namespace and dimension values. */
const seriesOf = (text: string): string[] => {
  if (!text.includes('"_aws"')) return [];
  const emf = JSON.parse(text) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  };
  return emf._aws.CloudWatchMetrics.flatMap((d) =>
    d.Metrics.flatMap((m) => d.Dimensions.map((dims) => [d.Namespace, m.Name, ...dims.map((k) => `${k}=${String(emf[k])}`)].join('|'))),
  );
};

for (const stream of [process.stdout, process.stderr]) {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    logBytes += Buffer.byteLength(text);
    logLines += text.split('\n').filter(Boolean).length;
    for (const line of text.split('\n')) if (line.trim()) metricSeries.push(...seriesOf(line));
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}
installLambdaStreamShim();

/**
 * The process's peak RSS (VmHWM). Not `resourceUsage().maxRSS`: on Linux that carries over
 * the forking parent's peak into the child.
 */
const peakRssMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

/** A mark in an invocation: process CPU and wall clock, in ms. */
export interface Mark {
  cpu: number;
  wall: number;
}

const mark = (): Mark => ({ cpu: cpuMs(), wall: performance.now() });

/** The response stream: keeps the text, and marks the first and the last content line. */
class Sink extends Writable {
  text = '';
  first: Mark | undefined;
  last: Mark | undefined;
  setPrelude(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const text = chunk.toString('utf8');
    this.text += text;
    if (text.includes('"type":"content"')) {
      this.last = mark();
      this.first ??= this.last;
    }
    callback();
  }
}

type Handler = (event: unknown, ...rest: unknown[]) => Promise<unknown>;

const [entry, name, timeoutS] = process.argv.slice(2);
const started = performance.now();
const { handler } = (await import(pathToFileURL(entry!).href)) as { handler: Handler };
const importMs = performance.now() - started;
const send = (message: unknown) => process.send!(message);
send({ type: 'ready', importMs, rssMb: process.memoryUsage().rss / 2 ** 20 } satisfies ProbeReady);

process.on('message', async (command: ProbeCommand) => {
  if ('exit' in command) process.exit(0);
  const event = httpApiEvent(command.call);
  const context = localContext(name!, Number(timeoutS) * 1000);
  const logsBefore = logBytes;
  const linesBefore = logLines;
  metricSeries = [];
  const start = mark();
  let body: string;
  let phases: Invocation['phases'];
  if (command.stream) {
    const sink = new Sink();
    await handler(event, sink, context);
    body = sink.text;
    const end = mark();
    const { first = end, last = end } = sink;
    const between = (a: Mark, b: Mark): Mark => ({ cpu: b.cpu - a.cpu, wall: b.wall - a.wall });
    phases = { before: between(start, first), relay: between(first, last), after: between(last, end) };
  } else {
    body = ((await handler(event, context)) as { body?: string }).body ?? '';
  }
  const end = mark();
  const answer: Invocation = {
    id: command.id,
    cpuMs: end.cpu - start.cpu,
    wallMs: end.wall - start.wall,
    phases,
    logBytes: logBytes - logsBefore,
    logLines: logLines - linesBefore,
    metricSeries,
    responseBytes: Buffer.byteLength(body),
    peakRssMb: peakRssMb(),
    body,
  };
  send(answer);
});
