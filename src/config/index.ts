export { ConfigFileError, ConfigSchemaError, PhoneBookError, type Violation } from './errors.js';
export {
  builtInPhoneBookPath,
  DEFAULT_PHONEBOOK_DIR,
  loadPhoneBook,
  mergePhoneBooks,
  phoneBookSources,
  type DaemonEntry,
  type PhoneBook,
} from './phonebook.js';
export { loadConfig, parseConfig, validateConfig, type FocusdConfig } from './config.js';
export { CONFIG_SCHEMA, PHONEBOOK_SCHEMA } from './schemas.js';
