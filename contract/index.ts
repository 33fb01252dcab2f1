/** The pod contract between the injector and the agent: names, defaults and the agent config's shape. */
export * from './pod.ts';
export * from './agent-config.ts';
export * from './rules.ts';
