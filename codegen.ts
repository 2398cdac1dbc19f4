import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations (TypedDocumentNode) generated offline from the committed schema.
 * Tests and TypeScript clients import them from test/generated/graphql.ts; a test fails
 * when this output is not current (`npm run codegen`).
 */
const config: CodegenConfig = {
  overwrite: true,
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTimeISO: 'string', ID: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
  },
  hooks: {},
};

export default config;
