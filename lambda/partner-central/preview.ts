// What the next deployment would do to one PartnerConnectionPreferences resource, without doing it: the handler's
// own reads and plan, never its apply. Read-only: GetConnectionPreferences and GetParametersByPath.
import type { PartnerCentralAccountClient } from '@aws-sdk/client-partnercentral-account';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULT_CATALOG } from '../../lib/partner-central/contract';
import { errorMessage } from '../common/errors';
import type { PlanRequester } from '../common/plan';
import { type PreferencesPlan, planPreferences } from './plan';
import { getPreferences, lenientCatalog, parseProps, stateStore } from './preferences';

export interface PreviewClients {
  /** In us-east-1, the API's only Region. */
  readonly partnerCentral: PartnerCentralAccountClient;
  /** In us-east-1, where the state lives. */
  readonly ssm: SSMClient;
}

/** `properties`: the custom resource's properties as CloudFormation would deliver them (tokens resolved). */
export async function previewPreferences(c: PreviewClients, properties: Record<string, unknown>, requester: PlanRequester): Promise<PreferencesPlan> {
  let desired: Parameters<typeof planPreferences>[0]['desired'];
  try {
    desired = parseProps(properties);
  } catch (err) {
    desired = { catalog: lenientCatalog(properties) ?? DEFAULT_CATALOG, invalid: errorMessage(err) };
  }
  const [stored, live] = await Promise.all([stateStore(c.ssm, desired.catalog).read(), getPreferences(c.partnerCentral, desired.catalog)]);
  return planPreferences({ desired, requester, stored, live });
}
