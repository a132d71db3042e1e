// Lint: typescript-eslint's recommended rules, and the import boundaries that keep the folders layered (no folder
// imports one that imports it back). The composition root (src/main.ts) and the CLI may import anything.
import tseslint from 'typescript-eslint';

/** For each folder of src/, the folders it may import from (besides itself). */
const LAYERS = {
  core: [],
  profiles: ['core'],
  learning: ['core'],
  config: ['core', 'profiles'],
  store: ['core', 'learning', 'drift'],
  checks: ['core', 'config'],
  adapters: ['core', 'config'],
  drift: ['core', 'config', 'profiles'],
  actions: ['core', 'config', 'store', 'checks', 'profiles', 'drift'],
  investigation: ['core', 'config', 'actions', 'drift'],
  agents: ['core', 'config', 'actions', 'profiles', 'investigation'],
  notify: ['core', 'config', 'store'],
  escalation: ['core', 'config', 'actions', 'notify', 'store'],
  phases: ['core', 'config', 'actions', 'agents', 'checks', 'escalation', 'store', 'profiles', 'learning', 'drift', 'investigation'],
  runtime: ['core', 'config', 'actions', 'checks', 'escalation', 'phases', 'store', 'drift'],
  web: ['core', 'config', 'actions', 'escalation', 'notify', 'runtime', 'store', 'drift'],
  deploy: ['core', 'config', 'runtime'],
  demo: ['core', 'config'],
  fleet: ['core', 'config', 'store', 'escalation', 'learning', 'notify', 'runtime'],
};
const FOLDERS = [...Object.keys(LAYERS), 'cli'];

const boundaries = Object.entries(LAYERS).map(([folder, allowed]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...FOLDERS.filter((other) => other !== folder && !allowed.includes(other)).map((other) => ({
            group: [`../${other}/**`, `../../${other}/**`, `../../../${other}/**`],
            message: `src/${folder}/ may import only from ${allowed.length ? allowed.join(', ') : 'itself'} (eslint.config.js LAYERS): ${other}/ would make the folders depend on each other`,
          })),
          { group: ['**/main.js'], message: 'only the CLI imports the composition root (src/main.ts); take what you need as a parameter' },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', 'bench/results/**', 'bench/scratch/**', 'web/vendor/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...boundaries,
);
