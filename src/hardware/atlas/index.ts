export { AtlasFocuser, type AtlasInfo, type AtlasOpenOptions } from './focuser.js';
export * from './commands.js';
