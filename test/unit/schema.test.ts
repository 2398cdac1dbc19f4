import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  buildSchema as buildSchemaFromSdl,
  isEnumType,
  isInputObjectType,
  isIntrospectionType,
  isInterfaceType,
  isObjectType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  parse,
  print,
  type FieldDefinitionNode,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
} from 'graphql';
import { systemClock } from '../../src/shared/clock';
import { applyAuthDirectives } from '../../src/graphql/auth-directive';
import { buildAppSchema, printAppSchema } from '../../src/graphql/schema';

const POLICY = { stepUpMaxAgeSeconds: 600, clock: systemClock };

const root = join(__dirname, '..', '..');
const committedSchema = readFileSync(join(root, 'schema', 'schema.graphql'), 'utf8');

/**
 * Every type, field, argument, input field, enum value and directive (with its arguments) of
 * the schema that has no description, by its coordinate (`Type.field(argument:)`). The
 * built-in scalars and directives and the introspection types are graphql-js's own.
 */
function undescribedElements(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const argument of field.args) check(`${type.name}.${field.name}(${argument.name}:)`, argument.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    }
  }
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive)) continue;
    check(`@${directive.name}`, directive.description);
    for (const argument of directive.args) check(`@${directive.name}(${argument.name}:)`, argument.description);
  }
  return missing.sort();
}

describe('schema/schema.graphql', () => {
  it('is what the code emits (run `npm run schema:emit` after changing the schema)', async () => {
    expect(committedSchema).toBe(printAppSchema(await buildAppSchema()));
  });

  it('describes every type, field, argument, input field, enum value and directive argument', async () => {
    expect(undescribedElements(await buildAppSchema())).toEqual([]);
    expect(undescribedElements(buildSchemaFromSdl(committedSchema))).toEqual([]);
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
