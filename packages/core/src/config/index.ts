export { resolveConfig, unknownEnvVariables, type CsmsConfigInput, type DeepPartial } from './resolve-config.js';
export { optionSpecs, LOG_LEVELS, type CsmsConfig, type TlsConfig, type OptionSpec } from './schema.js';
