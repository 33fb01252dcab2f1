/** The in-pod agent: its whole public surface. */
export {
  runAgent,
  AGENT_HEALTH_PORT,
  AGENT_STARTUP_PATH,
  AGENT_READY_PATH,
  AGENT_LIVE_PATH,
  READY_FILE_NAME,
  VERSION_FILE_NAME,
  STATE_FILE_NAME,
  ENV_HEALTH_ADDR,
  ENV_LOG_LEVEL,
  type AgentMode,
  type AgentEvent,
  type AgentHooks,
  type RunAgentOptions,
} from './agent.ts';
export { AtomicDirWriter, DATA_DIR_NAME, payloadDirName, validateFileName, type FileSet, type WriteResult } from './atomic-writer.ts';
export { parseAgentConfig, validateAgentConfig, DEFAULT_FILE_MODE, DEFAULT_CONTROLLER_CLASS } from './config.ts';
export { parseGoDuration, backoffDelay, jitteredInterval, defaultStaleAfter, DEFAULT_BACKOFF, type BackoffPolicy } from './timing.ts';
export { createMetrics, type AgentMetrics } from './metrics.ts';
export { writeTerminationMessage, TERMINATION_MESSAGE_PATH } from './termination.ts';
export { jsonLogger, silentLogger, type Logger } from '../core/log.ts';
export { envFileContent, envName } from './envfile.ts';
export type { ProviderClientFactory, ProviderContext } from './clients.ts';
