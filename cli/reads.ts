// The plan's reads of many resources at once: the handlers' own reads (lambda/<kind>/sharing.ts, preferences.ts,
// the state store), made in batches where the APIs allow it. DescribeConnectionAliases takes 25 alias ids a call;
// a kind's state in one Region is one recursive GetParametersByPath (10 parameters a page) instead of one read per
// resource; Partner Central is read once per catalog. DescribeConnectionAliasPermissions has no batch form: one
// read per alias, as the handler makes it. Each resource's plan is then the handler's pure plan of these facts, the
// same as a read one resource at a time (test/cli/reads.test.ts shows the plans equal). ConnectionAliasSharing and
// ConnectionAliasAssociation resources of one Region (one account: the credentials') share one batched
// DescribeConnectionAliases: both read the alias as this account sees it.
import type { ConnectionAlias, WorkSpacesClient } from '@aws-sdk/client-workspaces';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { PartnerCentralAccountClient } from '@aws-sdk/client-partnercentral-account';
import type { Parameter } from '@aws-sdk/client-ssm';
import { STATE_PATH_PREFIX as PREFS_ROOT } from '../lib/partner-central/contract';
import { STATE_PATH_PREFIX as SHARING_ROOT } from '../lib/workspaces/contract';
import { type Stored, listTree } from '../lambda/common/state-store';
import { type Live, type Preferences, getPreferences, stateStore } from '../lambda/partner-central/preferences';
import type { PreferencesReads } from '../lambda/partner-central/preview';
import { type Snapshot, describeAliases, readShares, storeFor } from '../lambda/workspaces/sharing';
import type { SharingReads } from '../lambda/workspaces/preview';
import { type AssociationReads, type AssociationSnapshot, STATE_PATH_PREFIX as ASSOCIATION_ROOT, storeFor as associationStoreFor } from '../lambda/workspaces-association/preview';

/** Each read once, however many resources ask for it (two resources on one alias read it once). */
function memo<T>(fn: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    if (!cache.has(key)) cache.set(key, fn(key));
    return cache.get(key)!;
  };
}

/**
 * The state of `ids` under `root`: one recursive read of the whole kind when that takes no more pages than there
 * are stores to read (else, an account with many more stores than planned, one read per store, as the handler does).
 */
function storedReader<T>(ssm: SSMClient, root: string, ids: readonly string[], store: (id: string) => { read(listed?: readonly Parameter[]): Promise<Stored<T>> }): (id: string) => Promise<Stored<T>> {
  let tree: Promise<Parameter[] | undefined> | undefined;
  return memo(async (id) => {
    tree ??= ids.length > 1 ? listTree(ssm, root, ids.length) : Promise.resolve(undefined);
    const listed = await tree;
    return store(id).read(listed);
  });
}

export type AliasReader = (aliasId: string) => Promise<ConnectionAlias | undefined>;

/** Every alias of `aliasIds` by DescribeConnectionAliases in batches of 25, read once, on the first ask. */
export function batchedAliases(workspaces: WorkSpacesClient, aliasIds: readonly string[]): AliasReader {
  const unique = [...new Set(aliasIds)];
  let aliases: Promise<Map<string, ConnectionAlias>> | undefined;
  return async (aliasId) => {
    aliases ??= describeAliases(workspaces, unique);
    return (await aliases).get(aliasId);
  };
}

/**
 * The reads of every ConnectionAliasSharing of one Region: `aliasIds` are all the aliases the plan will ask for;
 * `aliases`, a batched reader shared with the Region's other kinds (else one over `aliasIds`).
 */
export function batchedSharingReads(workspaces: WorkSpacesClient, ssm: SSMClient, aliasIds: readonly string[], aliases: AliasReader = batchedAliases(workspaces, aliasIds)): SharingReads {
  const unique = [...new Set(aliasIds)];
  return {
    region: async () => workspaces.config.region(),
    alias: aliases,
    shares: memo((aliasId) => readShares(workspaces, aliasId)),
    stored: storedReader<Snapshot>(ssm, SHARING_ROOT, unique, (id) => storeFor(ssm, id)),
  };
}

/** The reads of every ConnectionAliasAssociation of one Region: `aliasIds` are all the aliases it will ask for. */
export function batchedAssociationReads(workspaces: WorkSpacesClient, ssm: SSMClient, aliasIds: readonly string[], aliases: AliasReader = batchedAliases(workspaces, aliasIds)): AssociationReads {
  const unique = [...new Set(aliasIds)];
  return {
    region: async () => workspaces.config.region(),
    alias: aliases,
    stored: storedReader<AssociationSnapshot>(ssm, ASSOCIATION_ROOT, unique, (id) => associationStoreFor(ssm, id)),
  };
}

/** The reads of every PartnerConnectionPreferences (all in us-east-1): `catalogs` are all the plan will ask for. */
export function batchedPreferencesReads(partnerCentral: PartnerCentralAccountClient, ssm: SSMClient, catalogs: readonly string[]): PreferencesReads {
  return {
    stored: storedReader<Preferences>(ssm, PREFS_ROOT, [...new Set(catalogs)], (catalog) => stateStore(ssm, catalog)),
    live: memo((catalog): Promise<Live> => getPreferences(partnerCentral, catalog)),
  };
}
