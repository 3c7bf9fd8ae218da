export { ConnectionAliasAssociation, type ConnectionAliasAssociationProps } from './connection-alias-association';
