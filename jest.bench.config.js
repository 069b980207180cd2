// `jlpm bench:panel`: the TypeScript benchmarks in benchmarks/ (not part of `jlpm test`).
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/benchmarks'],
  testRegex: 'benchmarks/.*\\.bench\\.ts$',
  transform: {
    ...base.transform,
    '^.+\\.tsx?$': ['ts-jest/legacy', { tsconfig: './tsconfig.bench.json' }]
  },
  collectCoverage: false
};
