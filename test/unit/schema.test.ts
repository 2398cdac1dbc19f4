import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildSchema as buildSchemaFromSdl, parse, print, type FieldDefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';
import { systemClock } from '../../src/shared/clock';
import { applyAuthDirectives } from '../../src/graphql/auth-directive';
import { buildAppSchema, printAppSchema } from '../../src/graphql/schema';

const POLICY = { stepUpMaxAgeSeconds: 600, clock: systemClock };

const root = join(__dirname, '..', '..');
const committedSchema = readFileSync(join(root, 'schema', 'schema.graphql'), 'utf8');

describe('schema/schema.graphql', () => {
  it('is what the code emits (run `npm run schema:emit` after changing the schema)', async () => {
    expect(committedSchema).toBe(printAppSchema(await buildAppSchema()));
  });

  it('carries an explicit rule on every Query and Mutation field: deny by default', () => {
    const document = parse(committedSchema);
    const roots = document.definitions.filter(
      (definition): definition is ObjectTypeDefinitionNode =>
        definition.kind === 'ObjectTypeDefinition' && ['Query', 'Mutation', 'Subscription'].includes(definition.name.value),
    );
    expect(roots.map((type) => type.name.value).sort()).toEqual(['Mutation', 'Query']);
    const unruled = roots.flatMap((type) =>
      (type.fields ?? [])
        .filter((field: FieldDefinitionNode) => !(field.directives ?? []).some((directive) => ['auth', 'public'].includes(directive.name.value)))
        .map((field) => `${type.name.value}.${field.name.value}`),
    );
    expect(unruled).toEqual([]);
  });

  it('marks the fields the contract protects', () => {
    const rules = Object.fromEntries(
      parse(committedSchema).definitions.flatMap((definition) =>
        definition.kind === 'ObjectTypeDefinition'
          ? (definition.fields ?? []).flatMap((field) => (field.directives ?? []).map((directive) => [field.name.value, print(directive)]))
          : [],
      ),
    );
    expect(rules).toMatchObject({
      me: '@public',
      signUp: '@public',
      login: '@public',
      logout: '@public',
      mySessions: '@auth',
      revokeSession: '@auth',
      revokeOtherSessions: '@auth',
      changePassword: '@auth(fresh: true)',
      stepUp: '@auth',
      requestPasswordReset: '@public',
      resetPassword: '@public',
      requestEmailVerification: '@auth',
      verifyEmail: '@public',
      requestEmailChange: '@auth(fresh: true)',
      confirmEmailChange: '@public',
      updateProfile: '@auth',
      deleteAccount: '@auth(fresh: true)',
      forgetDevice: '@auth',
      knownDevices: '@auth(requires: ADMIN, self: true)',
      user: '@auth(requires: ADMIN)',
      revokeUserSessions: '@auth(requires: ADMIN)',
      userSessionEvents: '@auth(requires: ADMIN)',
      email: '@auth(requires: ADMIN, self: true, beforeSecondFactor: true)',
      twoFactorEnabled: '@auth(requires: ADMIN, self: true, beforeSecondFactor: true)',
      sessions: '@auth(requires: ADMIN, self: true)',
      beginTotpEnrollment: '@auth(fresh: true)',
      confirmTotpEnrollment: '@auth(fresh: true)',
      regenerateRecoveryCodes: '@auth(aal: 2, fresh: true)',
      disableTotp: '@auth(aal: 2, fresh: true)',
      verifySecondFactor: '@auth(beforeSecondFactor: true)',
      userAccountEvents: '@auth(requires: ADMIN)',
    });
  });
});

describe('applyAuthDirectives', () => {
  const sdl = (queryFields: string) => `
    directive @auth(requires: Role! = USER, self: Boolean! = false) on FIELD_DEFINITION
    directive @public on FIELD_DEFINITION
    enum Role { USER ADMIN }
    type Query { ${queryFields} }
  `;
  // Built from SDL without the declarations the transform adds itself.
  const schemaWith = (queryFields: string) =>
    buildSchemaFromSdl(sdl(queryFields).replace(/^\s*directive .*$/gm, ''), { assumeValidSDL: true });

  it('refuses to build a schema with a root field that has no rule', () => {
    expect(() => applyAuthDirectives(schemaWith('open: String @public  forgotten: String'), POLICY)).toThrow(/Query\.forgotten has no authorization rule/);
  });

  it('refuses a maxAge that is not a duration', () => {
    expect(() => applyAuthDirectives(schemaWith('closed: String @auth(maxAge: "a while")'), POLICY)).toThrow(/Query\.closed: @auth\(maxAge: "a while"\) is not a duration/);
  });

  it('accepts root fields that all carry a rule', () => {
    expect(() => applyAuthDirectives(schemaWith('open: String @public  closed: String @auth(requires: ADMIN)'), POLICY)).not.toThrow();
  });
});

describe('generated typed operations (test/generated/graphql.ts)', () => {
  it('are current (run `npm run codegen` after changing the schema or test/operations)', async () => {
    // In a child process: the codegen CLI loads ESM-only dependencies that Jest's CommonJS runtime cannot.
    const script = `
      const { generate } = require('@graphql-codegen/cli');
      const config = require('./codegen.ts').default;
      generate({ ...config, cwd: process.cwd(), silent: true }, false)
        .then((outputs) => process.stdout.write(JSON.stringify(outputs)))
        .catch((error) => { console.error(error); process.exit(1); });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'esbuild-register', '-e', script], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const outputs = JSON.parse(stdout) as Array<{ filename: string; content: string }>;
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      expect(readFileSync(join(root, output.filename), 'utf8')).toBe(output.content);
    }
  }, 60_000);
});
