export { ConnectionAliasSharing, type ConnectionAliasSharingProps } from './connection-alias-sharing';
