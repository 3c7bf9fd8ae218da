export * from './common/on-delete';
export * from './partner-central';
export * from './workspaces';
export * from './workspaces-association';
