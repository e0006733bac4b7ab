export { LogForwarder, type ForwardLevel, type LogForwarderOptions, type LogSender } from './forwarder.js';
export { createFocusdLog, type FocusdLog, type FocusdLogOptions } from './logger.js';
export { chooseLogFormat, errorLine, formatRecord, isJournalStream, LogFormatError, type LogFormat } from './format.js';
export { LEVEL_NAMES_HELP, LogLevelError, parseLogLevel, syslogPriority, type PinoLevel } from './levels.js';
export { chooseLogTarget, logDaemonForAddress, LogTargetError, type LogTarget } from './target.js';
export { pyroLogSender } from './pyro-sender.js';
