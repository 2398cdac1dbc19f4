import type { Logger } from 'pino';
import { parseRole } from './user/user.model';
import type { UserService } from './user/user.service';

export const CLI_USAGE = 'usage: npm run cli -- grant-role <email> <ROLE> | revoke-role <email> <ROLE>';

export interface CliContext {
  users: UserService;
  logger: Logger;
  /** Where answers and complaints go (the process's stdout and stderr by default). */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/** Admin commands against the configured store. Returns the process exit code. */
export async function runCli(args: string[], context: CliContext): Promise<number> {
  const stdout = context.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = context.stderr ?? ((text: string) => process.stderr.write(text));
  const [command, email, roleName] = args;
  const role = roleName ? parseRole(roleName.toUpperCase()) : null;
  if ((command !== 'grant-role' && command !== 'revoke-role') || !email || !role) {
    stderr(`${CLI_USAGE}\n`);
    return 2;
  }
  if (command === 'revoke-role' && role === 'USER') {
    stderr('every user keeps the USER role; only ADMIN can be revoked\n');
    return 2;
  }
  const user = command === 'grant-role' ? await context.users.grantRole(email, role) : await context.users.revokeRole(email, role);
  if (!user) {
    stderr(`no user with email ${email}\n`);
    return 1;
  }
  context.logger.debug({ userId: user.id }, 'cli command done');
  stdout(`${user.email}: roles ${user.roles.join(', ')}\n`);
  return 0;
}
