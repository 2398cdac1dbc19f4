import type { Logger } from 'pino';
import { parseRole } from './user/role';
import type { UserService } from './user/user.service';

export const CLI_USAGE = 'usage: npm run cli -- grant-role <email> <ROLE> | revoke-role <email> <ROLE>';

/** Admin commands against the configured store. Returns the process exit code. */
export async function runCli(args: string[], users: UserService, logger: Logger): Promise<number> {
  const [command, email, roleName] = args;
  const role = roleName ? parseRole(roleName.toUpperCase()) : null;
  if ((command !== 'grant-role' && command !== 'revoke-role') || !email || !role) {
    process.stderr.write(`${CLI_USAGE}\n`);
    return 2;
  }
  if (command === 'revoke-role' && role === 'USER') {
    process.stderr.write('every user keeps the USER role; only ADMIN can be revoked\n');
    return 2;
  }
  const user = command === 'grant-role' ? await users.grantRole(email, role) : await users.revokeRole(email, role);
  if (!user) {
    process.stderr.write(`no user with email ${email}\n`);
    return 1;
  }
  logger.debug({ userId: user.id }, 'cli command done');
  process.stdout.write(`${user.email}: roles ${user.roles.join(', ')}\n`);
  return 0;
}
