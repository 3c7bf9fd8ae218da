#!/usr/bin/env node
// The example app `cdk synth` runs (see cdk.json). The account and region are fixed (overridable with
// -c account=... -c region=...) so that synth needs no AWS credentials and gives the same template on every machine.
// The demo synthesizes an update with -c accessType=..., -c excludedParticipantIds=a,b and -c sharedAccountIds=1,2.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AccessType } from '../lib';
import { ExampleStack } from './example-stack';

const app = new App();
const listContext = (key: string): string[] | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' ? value.split(',').filter(Boolean) : (value as string[] | undefined);
};
new ExampleStack(app, 'ConnectionSharingExample', {
  env: {
    account: app.node.tryGetContext('account') ?? '123456789012',
    region: app.node.tryGetContext('region') ?? 'eu-west-1',
  },
  accessType: app.node.tryGetContext('accessType') as AccessType | undefined,
  excludedParticipantIds: listContext('excludedParticipantIds'),
  sharedAccountIds: listContext('sharedAccountIds'),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
