/**
 * Every `extensions.code` the server answers with: its own (the contract's table) and the
 * request-level ones it passes through from Apollo Server and graphql-js. The server's test
 * suite checks this list against the server's.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'RATE_LIMITED',
  'SECOND_FACTOR_REQUIRED',
  'STEP_UP_REQUIRED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** One GraphQL error as the server sends it, with the extensions each code may carry. */
export interface GraphQLErrorPayload {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: {
    code?: string;
    /** BAD_USER_INPUT: the input that is wrong. */
    field?: string;
    /** RATE_LIMITED (and a busy SERVICE_UNAVAILABLE): seconds until an attempt may succeed. */
    retryAfterSeconds?: number;
    /** STEP_UP_REQUIRED: the assurance level the field needs (2: a second factor). */
    requiredAal?: number;
    /** STEP_UP_REQUIRED: how recent the last authentication must be. */
    maxAgeSeconds?: number;
  };
}

/**
 * The codes of an error from any client: a SessionqlError, Apollo Client's
 * CombinedGraphQLErrors (or anything else with an `errors` list), or a single GraphQL error.
 * Codes this version does not know are left out.
 */
export function errorCodesOf(error: unknown): ErrorCode[] {
  const list = (error as { errors?: unknown } | null)?.errors;
  const errors = Array.isArray(list) ? (list as GraphQLErrorPayload[]) : [error as GraphQLErrorPayload];
  return errors.map((entry) => entry?.extensions?.code).filter(isErrorCode);
}

/** A response with GraphQL errors (or none that could be read); `data` holds what did resolve. */
export class SessionqlError extends Error {
  override readonly name = 'SessionqlError';
  readonly codes: ErrorCode[];

  constructor(
    readonly errors: readonly GraphQLErrorPayload[],
    /** The HTTP status of the response (503 when the store is down, 4xx for a refused request). */
    readonly status: number,
    readonly data: unknown = null,
  ) {
    super(errors.map((error) => error.message).join(' ') || `HTTP ${status}`);
    this.codes = errorCodesOf(this);
  }

  has(code: ErrorCode): boolean {
    return this.codes.includes(code);
  }

  /** When RATE_LIMITED (or a busy 503) says to try again, in seconds; null otherwise. */
  get retryAfterSeconds(): number | null {
    return this.errors.find((error) => typeof error.extensions?.retryAfterSeconds === 'number')?.extensions?.retryAfterSeconds ?? null;
  }

  /** What a STEP_UP_REQUIRED asks for; null for other errors. Answer it with `stepUp`. */
  get stepUp(): { requiredAal: number; maxAgeSeconds: number | null } | null {
    const error = this.errors.find((candidate) => candidate.extensions?.code === 'STEP_UP_REQUIRED');
    if (!error) return null;
    return { requiredAal: error.extensions?.requiredAal ?? 1, maxAgeSeconds: error.extensions?.maxAgeSeconds ?? null };
  }
}
