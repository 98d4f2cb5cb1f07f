import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DIMENSION, METRIC, METRICS_NAMESPACE, RUN_OUTCOMES } from '../lambdas/core/observability/metrics.ts';
import type { ServiceFunction } from './service-function.ts';

const PERIOD = Duration.minutes(5);

/** Alarm levels, named so the dashboard annotations show the same numbers. */
export const THRESHOLDS = {
  /** Share of the stream timeout a run may take before the duration alarm fires. */
  durationNearTimeout: 0.9,
  /** Failed runs, percent of finished runs in a period. */
  failedRunPercent: 20,
  /** Fewer finished runs than this in a period are too few to judge a ratio. */
  minRunsForRatio: 5,
  api5xx: 5,
} as const;

/** The operations the functions call; an alarm's metric math takes at most 10 metrics. */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.BATCH_WRITE_ITEM,
  Operation.QUERY,
  Operation.SCAN,
  Operation.TRANSACT_WRITE_ITEMS,
];

export interface MonitoredFunction {
  label: string;
  handler: ServiceFunction;
  serviceName: string;
}

export interface MonitoringProps {
  api: HttpApi;
  apiFunction: MonitoredFunction;
  streamFunction: MonitoredFunction;
  streamTimeout: Duration;
  tables: Table[];
  alarmEmail?: string;
  dashboardName: string;
}

/** Alarms on what breaks a chat, the SNS topic they notify, and one dashboard. */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: MonitoringProps,
  ) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'AI chat alarms', enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const { apiFunction, streamFunction } = props;
    for (const { label, handler } of [apiFunction, streamFunction]) {
      this.alarm(`${label}Errors`, handler.function.metricErrors({ period: PERIOD }), 1, `${label} function: invocations ended in an error`);
      this.alarm(`${label}Throttles`, handler.function.metricThrottles({ period: PERIOD }), 1, `${label} function: invocations throttled`);
    }
    const timeoutMs = props.streamTimeout.toMilliseconds();
    this.alarm(
      'StreamDurationNearTimeout',
      streamFunction.handler.function.metricDuration({ period: PERIOD, statistic: 'Maximum' }),
      Math.round(timeoutMs * THRESHOLDS.durationNearTimeout),
      `stream function: a run took over ${THRESHOLDS.durationNearTimeout * 100}% of its ${props.streamTimeout.toSeconds()} s timeout`,
    );
    this.alarm('Api5xx', props.api.metricServerError({ period: PERIOD }), THRESHOLDS.api5xx, 'REST API: 5xx responses');
    for (const table of props.tables) {
      const name = table.node.id;
      this.alarm(
        `${name}TableThrottles`,
        table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD }),
        1,
        `${name} table: requests throttled`,
      );
      this.alarm(
        `${name}TableSystemErrors`,
        table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD }),
        1,
        `${name} table: DynamoDB system errors`,
      );
    }
    this.alarm('FailedRunRatio', this.failedRunPercent(), THRESHOLDS.failedRunPercent, 'chat runs: share of failed runs');
    this.alarm(
      'AuditWriteFailures',
      this.appMetric(METRIC.auditWriteFailures, apiFunction, 'Sum'),
      1,
      "audit trail: an operation's record was not written (the api function's log line 'audit record not written' holds it)",
    );

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, defaultInterval: Duration.hours(3) });
    this.addWidgets();
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `${Stack.of(this).stackName}: ${description}`,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** One of our EMF metrics, as the given function emits it. */
  private appMetric(name: string, fn: MonitoredFunction, statistic: string, label?: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: fn.serviceName },
      statistic,
      period: PERIOD,
      label,
    });
  }

  /** Every series of a per-model or per-action metric of one function, each labelled with its dimension value. */
  private search(name: string, dimension: string, fn: MonitoredFunction, label: string): MathExpression {
    return new MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},service,${dimension}} MetricName="${name}" service="${fn.serviceName}"', 'Sum', ${PERIOD.toSeconds()})`,
      label: `${label}: \${PROP('Dim.${dimension}')}`,
      period: PERIOD,
    });
  }

  private runs(fn = this.props.streamFunction) {
    return {
      completed: this.appMetric(METRIC.runs.completed, fn, 'Sum', 'completed'),
      cancelled: this.appMetric(METRIC.runs.cancelled, fn, 'Sum', 'cancelled'),
      failed: this.appMetric(METRIC.runs.failed, fn, 'Sum', 'failed'),
    };
  }

  private failedRunPercent(): MathExpression {
    const total = RUN_OUTCOMES.map((outcome) => `FILL(${outcome}, 0)`).join(' + ');
    return new MathExpression({
      expression: `IF((${total}) >= ${THRESHOLDS.minRunsForRatio}, 100 * FILL(failed, 0) / (${total}), 0)`,
      usingMetrics: this.runs(),
      label: 'failed runs (%)',
      period: PERIOD,
    });
  }

  private addWidgets(): void {
    const { apiFunction, streamFunction, api, tables, streamTimeout } = this.props;
    const fns = [apiFunction, streamFunction];
    const runs = this.runs();
    this.dashboard.addWidgets(
      new TextWidget({
        width: 24,
        height: 3,
        markdown: [
          '## AI chat',
          `Chat runs come from the stream function (\`${streamFunction.serviceName}\`), in namespace \`${METRICS_NAMESPACE}\`. `,
          'A healthy stage shows mostly *completed* runs, a failed-run ratio near 0, time to first token of a few seconds ',
          'and stream durations well under the timeout line. Red alarms at the right name what to look at first; ',
          "the functions' logs carry the request id of every failure.",
        ].join(''),
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Runs by outcome', left: [runs.completed, runs.cancelled, runs.failed], stacked: true, width: 8 }),
      new GraphWidget({
        title: 'Failed runs (%)',
        left: [this.failedRunPercent()],
        leftAnnotations: [{ value: THRESHOLDS.failedRunPercent, label: 'alarm' }],
        leftYAxis: { min: 0, max: 100 },
        width: 8,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8, height: 6 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Time to first token (s)',
        left: ['p50', 'p90', 'p99'].map((stat) => this.appMetric(METRIC.timeToFirstToken, streamFunction, stat, stat)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Stream duration (s)',
        left: ['p50', 'p99', 'Maximum'].map((stat) => this.appMetric(METRIC.streamDuration, streamFunction, stat, stat)),
        leftAnnotations: [{ value: streamTimeout.toSeconds(), label: 'function timeout' }],
        width: 8,
      }),
      new GraphWidget({
        title: 'Tokens by model',
        left: [this.search(METRIC.inputTokens, DIMENSION.model, streamFunction, 'input')],
        right: [this.search(METRIC.outputTokens, DIMENSION.model, streamFunction, 'output')],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Runs by model',
        left: RUN_OUTCOMES.map((outcome) => this.search(METRIC.runs[outcome], DIMENSION.model, streamFunction, outcome)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Cancels and rate-limit hits',
        left: fns.map((fn) => this.appMetric(METRIC.cancels, fn, 'Sum', `cancels (${fn.label})`)),
        right: fns.map((fn) => this.search(METRIC.rateLimitHits, DIMENSION.action, fn, `rate limited (${fn.label})`)),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function errors and throttles',
        left: fns.flatMap(({ label, handler }) => [
          handler.function.metricErrors({ period: PERIOD, label: `${label} errors` }),
          handler.function.metricThrottles({ period: PERIOD, label: `${label} throttles` }),
        ]),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function invocations and concurrency',
        left: fns.map(({ label, handler }) => handler.function.metricInvocations({ period: PERIOD, label: `${label} invocations` })),
        right: fns.map(({ label, handler }) =>
          handler.function.metric('ConcurrentExecutions', { period: PERIOD, statistic: 'Maximum', label: `${label} concurrency` }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: 'REST API requests and errors',
        left: [api.metricCount({ period: PERIOD, label: 'requests' })],
        right: [api.metricClientError({ period: PERIOD, label: '4xx' }), api.metricServerError({ period: PERIOD, label: '5xx' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'REST API latency (ms)',
        left: ['p50', 'p99'].map((stat) => api.metricLatency({ period: PERIOD, statistic: stat, label: stat })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      ...tables.flatMap((table) => [
        new GraphWidget({
          title: `${table.node.id}: throttled requests`,
          left: [table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD, label: 'throttled' })],
          width: 4,
        }),
        new GraphWidget({
          title: `${table.node.id}: system errors`,
          left: [table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD, label: 'system errors' })],
          width: 4,
        }),
      ]),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: tables.map((table) => table.metricConsumedReadCapacityUnits({ period: PERIOD, label: `${table.node.id} read` })),
        right: tables.map((table) => table.metricConsumedWriteCapacityUnits({ period: PERIOD, label: `${table.node.id} write` })),
        width: 24,
      }),
    );
  }
}
