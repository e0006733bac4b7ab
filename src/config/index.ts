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
export { CONFIG_SCHEMA, loadConfig, parseConfig, validateConfig, type FocusdConfig } from './config.js';
