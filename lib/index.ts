export * from './common/on-delete';
