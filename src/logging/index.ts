export { LogForwarder, type ForwardLevel, type LogForwarderOptions, type LogSender } from './forwarder.js';
export { createFocusdLog, type FocusdLog, type FocusdLogOptions } from './logger.js';
export { chooseLogTarget, logDaemonForAddress, LogTargetError, type LogTarget } from './target.js';
export { pyroLogSender } from './pyro-sender.js';
