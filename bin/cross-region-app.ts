#!/usr/bin/env node
// The cross-Region redirection example (stacks in bin/cross-region-stacks.ts): one connection string, an alias in a
// primary and a failover Region owned by account A and shared with account B, B's directory associated in each
// Region, and Route 53 failover TXT records carrying the two connection identifiers. Run it with
// `npx cdk synth -a "npx tsx bin/cross-region-app.ts"`; values cross accounts as context, in three phases:
//
//   1. account A:  cdk deploy -a "npx tsx bin/cross-region-app.ts" 'CrossRegion-AliasOwner-*'
//                  -> outputs AliasId in each Region
//   2. account B:  ... -c primaryAliasId=wsca-... -c failoverAliasId=wsca-... 'CrossRegion-Directory-*'
//                  -> outputs ConnectionIdentifier in each Region
//   3. the zone's account: ... -c primaryConnectionIdentifier=... -c failoverConnectionIdentifier=... CrossRegion-Dns
//
// (or keep the values in cdk.context.json). Tear down the other way: 3, then 2 (each association is disassociated,
// and WorkSpaces finishes it, before its stack is deleted), then 1 (the owner can unshare and delete only an alias
// no directory holds). Accounts, Regions, directory ids and the zone are context too (see crossRegionConfigFromContext);
// their defaults are placeholders, as in bin/app.ts, so that synth needs no AWS credentials.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addCrossRegionStacks, crossRegionConfigFromContext } from './cross-region-stacks';

const app = new App();
addCrossRegionStacks(app, crossRegionConfigFromContext(app));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
