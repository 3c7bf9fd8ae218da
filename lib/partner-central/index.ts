export { AccessType } from './contract';
export * from './partner-connection-preferences';
