/**
 * The closed list of error codes a client can see for a deliberate error (the contract's
 * table). Services throw AppError with one of them and never speak GraphQL or HTTP: one
 * translator (graphql/error-translation.ts) turns them into GraphQL errors and statuses.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  SECOND_FACTOR_REQUIRED: 'SECOND_FACTOR_REQUIRED',
  STEP_UP_REQUIRED: 'STEP_UP_REQUIRED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a client may learn beyond the code and message, each only for the codes that use it. */
export interface AppErrorDetails {
  /** BAD_USER_INPUT: the input that is wrong. */
  field?: string;
  /** RATE_LIMITED (and a busy SERVICE_UNAVAILABLE): whole seconds until an attempt may succeed. */
  retryAfterSeconds?: number;
  /** STEP_UP_REQUIRED: the assurance level the rule needs (2: a second factor). */
  requiredAal?: number;
  /** STEP_UP_REQUIRED: how recent the last authentication must be. */
  maxAgeSeconds?: number;
}

/** A deliberate failure, with a code from the closed list and a message safe to show the client. */
export class AppError extends Error {
  override readonly name: string = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: AppErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One message for unknown email and wrong password, so neither reveals which it was. */
export const INVALID_CREDENTIALS_MESSAGE = 'Invalid email or password.';

export function unauthenticated(message = 'You must be signed in.'): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, message);
}

export function forbidden(message = 'You are not allowed to do this.'): AppError {
  return new AppError(ErrorCode.FORBIDDEN, message);
}

export function badUserInput(message: string, field?: string): AppError {
  return new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
}

export function rateLimited(retryAfterSeconds: number): AppError {
  return new AppError(ErrorCode.RATE_LIMITED, 'Too many attempts. Try again later.', {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
  });
}

/**
 * Thrown by stores when the backing service cannot be reached (connection refused,
 * timeout, failover in progress). Never means "no such session": callers must not treat
 * it as anonymous.
 */
export class StoreUnavailableError extends AppError {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.SERVICE_UNAVAILABLE, message, {}, options);
  }
}
