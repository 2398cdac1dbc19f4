import { CLI_USAGE, parseCliArguments, runCli, type CliContext } from '../../src/cli';
import { Role } from '../../src/user/user.model';

describe('parseCliArguments', () => {
  it.each([[['--help']], [['-h']], [['grant-role', '--help']], [['grant-role', 'ada@example.com', 'ADMIN', '-h']]])('asks for the help with %j', (args) => {
    expect(parseCliArguments(args)).toEqual({ kind: 'help' });
  });

  it('reads grant-role and revoke-role, the role in any case', () => {
    expect(parseCliArguments(['grant-role', 'Ada@Example.com', 'admin'])).toEqual({
      kind: 'command',
      command: { name: 'grant-role', email: 'Ada@Example.com', role: Role.ADMIN },
    });
    expect(parseCliArguments(['revoke-role', 'ada@example.com', 'ADMIN'])).toMatchObject({ kind: 'command', command: { name: 'revoke-role' } });
  });

  it('reads disable-two-factor with an email', () => {
    expect(parseCliArguments(['disable-two-factor', 'ada@example.com'])).toEqual({ kind: 'command', command: { name: 'disable-two-factor', email: 'ada@example.com' } });
  });

  it.each([
    [[], /^no command given$/],
    [['disable-two-factor'], /^disable-two-factor takes an email$/],
    [['disable-two-factor', 'ada@example.com', 'now'], /^disable-two-factor takes an email$/],
    [['serve'], /^unknown command "serve"$/],
    [['grant-role'], /^grant-role takes an email and a role$/],
    [['grant-role', 'ada@example.com'], /^grant-role takes an email and a role$/],
    [['grant-role', 'ada@example.com', 'ADMIN', 'extra'], /^grant-role takes an email and a role$/],
    [['grant-role', 'ada@example.com', 'KING'], /^unknown role "KING" \(roles: USER, ADMIN\)$/],
    [['revoke-role', 'ada@example.com', 'USER'], /only ADMIN can be revoked/],
    [['grant-role', '--force', 'ada@example.com', 'ADMIN'], /--force/],
    [['--verbose'], /--verbose/],
  ])('refuses %j', (args, problem) => {
    const invocation = parseCliArguments(args);
    expect(invocation.kind).toBe('invalid');
    expect(invocation.kind === 'invalid' && invocation.problem).toMatch(problem);
  });
});

describe('runCli', () => {
  function context(): CliContext & { out: string; err: string; opened: number } {
    const state = {
      out: '',
      err: '',
      opened: 0,
      openStore: async () => {
        state.opened += 1;
        throw new Error('no store in this test');
      },
      stdout: (text: string) => {
        state.out += text;
      },
      stderr: (text: string) => {
        state.err += text;
      },
    };
    return state;
  }

  it('prints the help on stdout and exits 0, without opening the store', async () => {
    const io = context();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out).toBe(`${CLI_USAGE}\n`);
    expect(io.err).toBe('');
    expect(io.opened).toBe(0);
  });

  it('prints the problem and the usage on stderr and exits 2, without opening the store', async () => {
    const io = context();
    expect(await runCli([], io)).toBe(2);
    expect(io.out).toBe('');
    expect(io.err).toBe(`sessionql: no command given\n\n${CLI_USAGE}\n`);
    expect(io.opened).toBe(0);
  });

  it('says why the store cannot be opened and exits 1', async () => {
    const io = context();
    expect(await runCli(['grant-role', 'ada@example.com', 'ADMIN'], io)).toBe(1);
    expect(io.err).toBe('sessionql: no store in this test\n');
    expect(io.opened).toBe(1);
  });
});
