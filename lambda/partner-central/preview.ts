// What the next deployment would do to one PartnerConnectionPreferences resource, without doing it: the handler's
// own reads and plan, never its apply. Read-only: GetConnectionPreferences and GetParametersByPath.
import type { PartnerCentralAccountClient } from '@aws-sdk/client-partnercentral-account';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { OnDelete } from '../../lib/common/on-delete';
import { DEFAULT_CATALOG, Prop } from '../../lib/partner-central/contract';
import { errorMessage } from '../common/errors';
import type { PlanRequester } from '../common/plan';
import type { Stored } from '../common/state-store';
import { type PreferencesDeletePlan, type PreferencesPlan, planPreferences, planPreferencesDelete } from './plan';
import { type Live, type Preferences, getPreferences, lenientCatalog, parseOnDelete, parseProps, stateStore } from './preferences';

export interface PreviewClients {
  /** In us-east-1, the API's only Region. */
  readonly partnerCentral: PartnerCentralAccountClient;
  /** In us-east-1, where the state lives. */
  readonly ssm: SSMClient;
}

/** The handler's reads of one catalog: its stored state and its live preferences. */
export interface PreferencesReads {
  stored(catalog: string): Promise<Stored<Preferences>>;
  live(catalog: string): Promise<Live>;
}

/** The reads one resource at a time, exactly as the handler makes them. */
export function directReads(c: PreviewClients): PreferencesReads {
  return { stored: (catalog) => stateStore(c.ssm, catalog).read(), live: (catalog) => getPreferences(c.partnerCentral, catalog) };
}

function readsOf(source: PreviewClients | PreferencesReads): PreferencesReads {
  return 'live' in source ? source : directReads(source);
}

/** `properties`: the custom resource's properties as CloudFormation would deliver them (tokens resolved). */
export async function previewPreferences(source: PreviewClients | PreferencesReads, properties: Record<string, unknown>, requester: PlanRequester): Promise<PreferencesPlan> {
  const reads = readsOf(source);
  let desired: Parameters<typeof planPreferences>[0]['desired'];
  try {
    desired = parseProps(properties);
  } catch (err) {
    desired = { catalog: lenientCatalog(properties) ?? DEFAULT_CATALOG, invalid: errorMessage(err) };
  }
  const [stored, live] = await Promise.all([reads.stored(desired.catalog), reads.live(desired.catalog)]);
  return planPreferences({ desired, requester, stored, live });
}

/**
 * What the Delete of a deployed resource would do (a resource the new template removes or replaces: CloudFormation
 * deletes it in the cleanup phase). `catalog`: the catalog of its physical id; `properties`: its deployed
 * properties (the Delete's ResourceProperties). The handler's reads (the stored state; the live preferences, which
 * converge reads before writing) and its pure plan of the Delete.
 */
export async function previewPreferencesDelete(
  source: PreviewClients | PreferencesReads,
  catalog: string | undefined,
  properties: Record<string, unknown>,
  requester: PlanRequester,
): Promise<PreferencesDeletePlan> {
  const reads = readsOf(source);
  let onDelete: OnDelete;
  try {
    onDelete = parseOnDelete(properties[Prop.ON_DELETE]);
  } catch {
    onDelete = OnDelete.RESTORE; // as the handler: a Delete never fails on a value that was valid when deployed
  }
  if (!catalog) return planPreferencesDelete({ catalog, requester, onDelete });
  const stored = await reads.stored(catalog);
  const first = planPreferencesDelete({ catalog, requester, onDelete, stored });
  // The live preferences matter only to a restore (converge writes only when they differ from the snapshot).
  return first.restore ? planPreferencesDelete({ catalog, requester, onDelete, stored, live: await reads.live(catalog) }) : first;
}
