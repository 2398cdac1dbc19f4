// Preloaded (NODE_OPTIONS=--require) into a server process by test/integration/graphiql.test.ts:
// ruru is a dev dependency, so loading any of its files at run time must fail, loudly.
const { registerHooks } = require('node:module');

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.includes('/node_modules/ruru/')) throw new Error(`ruru loaded at run time: ${specifier} (${resolved.url})`);
    return resolved;
  },
});
