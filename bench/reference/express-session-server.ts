import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { buildSchema, Ctx, Query, Resolver } from 'type-graphql';
import { LOGIN_PATH, SESSION_KEY_PREFIX, userRecordKey, type UserRecord } from './express-session-keys';
import { listenFromEnvironment, runServer } from './listen';
import { Role, User } from './user.type';

/*
 * Reference server "express-session": the stack a typical Express app would use for
 * session auth, set up as the libraries' READMEs show: express-session with connect-redis
 * 10 on a node-redis client (connect-redis 10 calls node-redis's API; it does not take
 * ioredis), then Apollo Server 5 and type-graphql 2. `me` reads the user record with a
 * GET of the session's userId. Environment: HOST, PORT, REDIS_URL, SESSION_SECRET.
 */

declare module 'express-session' {
  interface SessionData {
    userId: string;
  }
}

async function connectRedis(url: string | undefined) {
  return createClient({ url })
    .on('error', (error: unknown) => console.error('Redis client error', error))
    .connect();
}

type RedisClient = Awaited<ReturnType<typeof connectRedis>>;

interface Context {
  userId: string | undefined;
  redis: RedisClient;
}

@Resolver()
class MeResolver {
  @Query(() => User, { nullable: true })
  async me(@Ctx() { userId, redis }: Context): Promise<User | null> {
    if (!userId) return null;
    const json = await redis.get(userRecordKey(userId));
    if (!json) return null;
    const record = JSON.parse(json) as UserRecord;
    return Object.assign(new User(), { ...record, roles: record.roles as Role[], createdAt: new Date(record.createdAt) });
  }
}

async function main(): Promise<void> {
  const secret = process.env.SESSION_SECRET;
  if (!secret) throw new Error('SESSION_SECRET is required');
  const redis = await connectRedis(process.env.REDIS_URL);

  const schema = await buildSchema({ resolvers: [MeResolver] });
  const apollo = new ApolloServer<Context>({ schema });
  await apollo.start();

  const app = express();
  app.use(
    session({
      store: new RedisStore({ client: redis, prefix: SESSION_KEY_PREFIX }),
      resave: false,
      saveUninitialized: false,
      secret,
    }),
  );
  // Benchmark only: the benchmark stored the user record; a real login would check a password first.
  app.post(LOGIN_PATH, express.json(), (req, res) => {
    req.session.userId = String((req.body as { userId?: unknown }).userId);
    res.sendStatus(204);
  });
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({ userId: req.session.userId, redis }),
    }),
  );
  await listenFromEnvironment(app);
}

runServer(main);
