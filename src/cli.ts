import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from './config';
import { SessionService } from './session/session.service';
import type { Clock } from './shared/clock';
import type { Store } from './storage/store';
import { parseRole, Role } from './user/user.model';
import { UserService } from './user/user.service';

const ROLES = Object.values(Role).join(', ');

export const CLI_USAGE = `usage: npm run cli -- <command> <arguments>

commands:
  grant-role <email> <ROLE>    gives the user with this email a role (${ROLES})
  revoke-role <email> <ROLE>   takes it back (every user keeps USER)
  disable-two-factor <email>   turns the user's two-factor off (they lost their authenticator
                               and their recovery codes): check who is asking first

options:
  -h, --help                   prints this help

Commands run against the store the environment names (REDIS_URL, REDIS_CLUSTER_NODES or
REDIS_SENTINELS; .env is read as by npm start). The in-process store lives in the server's
own memory, out of this process's reach: there, ADMIN_EMAILS makes the first admin.`;

export type CliCommand = { name: 'grant-role' | 'revoke-role'; email: string; role: Role } | { name: 'disable-two-factor'; email: string };

/** What the arguments ask for: the help, a command, or nothing that makes sense (and why). */
export type CliInvocation = { kind: 'help' } | { kind: 'command'; command: CliCommand } | { kind: 'invalid'; problem: string };

export function parseCliArguments(args: readonly string[]): CliInvocation {
  let parsed: { values: { help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return { kind: 'invalid', problem: (error as Error).message };
  }
  if (parsed.values.help) return { kind: 'help' };
  const [name, email, roleName, ...extra] = parsed.positionals;
  if (name === undefined) return { kind: 'invalid', problem: 'no command given' };
  if (name === 'disable-two-factor') {
    if (email === undefined || roleName !== undefined) return { kind: 'invalid', problem: `${name} takes an email` };
    return { kind: 'command', command: { name, email } };
  }
  if (name !== 'grant-role' && name !== 'revoke-role') return { kind: 'invalid', problem: `unknown command ${JSON.stringify(name)}` };
  if (email === undefined || roleName === undefined || extra.length > 0) return { kind: 'invalid', problem: `${name} takes an email and a role` };
  const role = parseRole(roleName.toUpperCase());
  if (!role) return { kind: 'invalid', problem: `unknown role ${JSON.stringify(roleName)} (roles: ${ROLES})` };
  if (name === 'revoke-role' && role === Role.USER) return { kind: 'invalid', problem: 'every user keeps the USER role; only ADMIN can be revoked' };
  return { kind: 'command', command: { name, email, role } };
}

/** The configured store, opened for one command, and the services the commands use. */
export interface CliStore {
  users: UserService;
  sessions: SessionService;
  logger: Logger;
  close(): Promise<void>;
}

/** The services the commands use, over an opened store: the CLI's composition root. */
export function cliServices(config: Config, store: Store, logger: Logger, clock: Clock): Pick<CliStore, 'users' | 'sessions'> {
  return {
    users: new UserService(store.users, logger, clock),
    sessions: new SessionService({ store: store.sessions, settings: config.session, clock, logger }),
  };
}

export interface CliContext {
  /**
   * Opens the configured store. Called only when a command is to run, never for the help
   * or bad usage; rejects with a one-line reason when the store cannot serve the CLI.
   */
  openStore(): Promise<CliStore>;
  /** Where answers and complaints go (the process's stdout and stderr by default). */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/**
 * The admin CLI, arguments to exit code: 0 done (or help), 1 the command failed (unknown
 * user, unreachable store), 2 bad usage (with the usage on stderr).
 */
export async function runCli(args: readonly string[], context: CliContext): Promise<number> {
  const stdout = context.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = context.stderr ?? ((text: string) => process.stderr.write(text));
  const invocation = parseCliArguments(args);
  if (invocation.kind === 'help') {
    stdout(`${CLI_USAGE}\n`);
    return 0;
  }
  if (invocation.kind === 'invalid') {
    stderr(`sessionql: ${invocation.problem}\n\n${CLI_USAGE}\n`);
    return 2;
  }
  const failed = (error: unknown) => {
    stderr(`sessionql: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  };
  let store: CliStore;
  try {
    store = await context.openStore();
  } catch (error) {
    return failed(error);
  }
  try {
    const { command } = invocation;
    const answer = await runCommand(command, store);
    if (!answer) {
      stderr(`sessionql: no user with email ${command.email}\n`);
      return 1;
    }
    store.logger.debug({ command: command.name }, 'cli command done');
    stdout(`${answer}\n`);
    return 0;
  } catch (error) {
    return failed(error);
  } finally {
    await store.close();
  }
}

/** Runs one command; the line to answer, or null when no user has the email. */
async function runCommand(command: CliCommand, { users, sessions }: CliStore): Promise<string | null> {
  if (command.name === 'disable-two-factor') {
    const disabled = await users.disableSecondFactor(command.email);
    if (disabled.outcome === 'no_user') return null;
    if (disabled.outcome === 'not_on') return `${command.email}: two-factor was not on`;
    // A sign-in waiting for a code could never complete now: the operator ends it.
    const ended = await sessions.endPendingSessions(disabled.userId, { reason: 'revoked_by_admin', actorId: null });
    return `${command.email}: two-factor turned off${ended > 0 ? ` (${ended} sign-in${ended === 1 ? '' : 's'} waiting for a code ended)` : ''}`;
  }
  const user = command.name === 'grant-role' ? await users.grantRole(command.email, command.role) : await users.revokeRole(command.email, command.role);
  return user && `${user.email}: roles ${user.roles.join(', ')}`;
}
