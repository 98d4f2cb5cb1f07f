import { AUTH_MSG } from '../wire/messages.ts';
/** Envelope codes of the contract: RuoYi answers HTTP 200 and puts the outcome in `code`. */
export type ErrorCode = 401 | 403 | 429 | 500 | 601;

/**
 * The one error type the service raises on purpose. `msg` is the text the front end
 * shows, so it is always one of the contract's messages or a validation message.
 */
export class ServiceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, msg: string) {
    super(msg);
    this.name = 'ServiceError';
    this.code = code;
  }

  static unauthorized(msg: string = AUTH_MSG.unauthorized): ServiceError {
    return new ServiceError(401, msg);
  }
  static forbidden(msg: string = AUTH_MSG.forbidden): ServiceError {
    return new ServiceError(403, msg);
  }
  static tooManyRequests(msg: string = AUTH_MSG.tooManyRequests): ServiceError {
    return new ServiceError(429, msg);
  }
  static service(msg: string): ServiceError {
    return new ServiceError(500, msg);
  }
  static invalid(msg: string): ServiceError {
    return new ServiceError(601, msg);
  }
}

export const isServiceError = (err: unknown): err is ServiceError => err instanceof ServiceError;
