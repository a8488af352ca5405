/**
 * The module boundaries, checked by `npm run deps` (part of `npm test`). Each src/modules/<m> owns
 * its tables and exposes its public API in src/modules/<m>/index.ts: other code imports only that.
 * A module's own files import each other directly, never their own index.ts (that would make cycles).
 */

/** Exceptions: one per line, each with its reason. */
const EXCEPTIONS = [
  // contracts, subscriptions and transactions are being restructured into a `settlement` module
  // (issue 16, item 3) on their own branch; their internal imports of each other are settled there.
  "^src/modules/(contracts|subscriptions|transactions)/",
];

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle (type-only imports count: they tie the files' designs together just the same).",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "module-internals",
      severity: "error",
      comment: "A module uses another module only through its public API, src/modules/<m>/index.ts.",
      from: { path: "^src/modules/([^/]+)/", pathNot: EXCEPTIONS },
      to: { path: "^src/modules/[^/]+/", pathNot: ["^src/modules/$1/", "^src/modules/[^/]+/index\\.ts$"] },
    },
    {
      name: "module-internals-from-outside",
      severity: "error",
      comment: "Code outside the modules (the app, plugins, jobs, workflows) uses a module only through its index.ts.",
      from: { path: "^src/", pathNot: "^src/modules/" },
      to: { path: "^src/modules/[^/]+/", pathNot: "^src/modules/[^/]+/index\\.ts$" },
    },
    {
      name: "own-index",
      severity: "error",
      comment: "Inside a module, files import each other directly: importing the module's own index.ts makes a cycle.",
      from: { path: "^src/modules/([^/]+)/", pathNot: "^src/modules/[^/]+/index\\.ts$" },
      to: { path: "^src/modules/$1/index\\.ts$" },
    },
    {
      name: "layers",
      severity: "error",
      comment: "Modules and the layers below them (db, domain, lib, adapters, jobs) never import the app or the workflows above them.",
      from: { path: "^src/(modules|db|domain|lib|adapters|jobs|generated)/" },
      to: { path: "^src/(app|server|runtime)\\.ts$|^src/(app|workflows)/" },
    },
    {
      name: "lower-layers",
      severity: "error",
      comment: "db, domain, lib and adapters are below the modules: they import no module.",
      from: { path: "^src/(db|domain|lib|adapters)/" },
      to: { path: "^src/modules/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["^src/generated/", "\\.test\\.ts$"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"], extensions: [".ts", ".js"] },
  },
};
