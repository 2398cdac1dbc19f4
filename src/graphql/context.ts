import type { Caller } from '../session/caller';

/** Facts about the request (who is asking, from where) and its cookie capability: not the application's tools. */
export interface GraphQLContext {
  caller: Caller;
}
