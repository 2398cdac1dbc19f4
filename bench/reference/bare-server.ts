import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { buildSchema, Query, Resolver } from 'type-graphql';
import { listenFromEnvironment, runServer } from './listen';
import { Role, User } from './user.type';

/*
 * Reference server "bare": Apollo Server 5 and type-graphql 2 on Express 5, set up as
 * their documentation shows, with library defaults and nothing else (no auth, no
 * middleware besides express.json(), no logging). `me` returns a constant user: the
 * floor that sessionql's authenticated `me` is compared with, by CPU per request.
 */

const CONSTANT_USER: User = Object.assign(new User(), {
  id: 'a8f4c2d0-3b7e-4c1a-9d2f-6e5b4a3c2d1e',
  email: 'constant@bench.example',
  displayName: 'Constant User',
  roles: [Role.USER],
  createdAt: new Date('2026-01-01T00:00:00Z'),
});

@Resolver()
class MeResolver {
  @Query(() => User, { nullable: true })
  me(): User {
    return CONSTANT_USER;
  }
}

async function main(): Promise<void> {
  const schema = await buildSchema({ resolvers: [MeResolver] });
  const apollo = new ApolloServer({ schema });
  await apollo.start();

  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  await listenFromEnvironment(app);
}

runServer(main);
