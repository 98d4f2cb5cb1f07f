/**
 * Where finished runs wait when DynamoDB could not take them in time: a service apart
 * from DynamoDB (S3 in AWS, a folder locally), written by the stream function and read
 * and emptied by the drain (drain.ts).
 */
export interface KeptRunStore {
  /** Keeps `body` under `key` durably, or throws; nothing waits past `deadline` (epoch ms). */
  put(key: string, body: string, deadline: number): Promise<void>;
  /** The kept text; undefined when there is none (drained already). */
  get(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
}
