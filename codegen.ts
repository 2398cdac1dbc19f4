import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents (TypedDocumentNode) for the schema's scalars, shared by both outputs. */
const TYPED_DOCUMENTS = {
  plugins: ['typescript-operations', 'typed-document-node'],
  config: {
    enumsAsTypes: true,
    useTypeImports: true,
    scalars: { DateTimeISO: 'string', ID: 'string' },
    avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
  },
};

/**
 * Typed operations generated offline from the committed schema: the client package's (what
 * a front end imports, client/operations) and the tests' own (test/operations). A test fails
 * when an output is not current (`npm run codegen`).
 */
const config: CodegenConfig = {
  overwrite: true,
  schema: 'schema/schema.graphql',
  generates: {
    'client/src/generated/graphql.ts': { documents: ['client/operations/**/*.graphql'], ...TYPED_DOCUMENTS },
    'test/generated/graphql.ts': { documents: ['test/operations/**/*.graphql'], ...TYPED_DOCUMENTS },
  },
  hooks: {},
};

export default config;
