#!/usr/bin/env node
// The example app `cdk synth` runs (see cdk.json). The account and region are fixed (overridable with
// -c account=... -c region=...) so that synth needs no AWS credentials and gives the same template on every machine.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { AccessType } from '../lib';
import { ExampleStack } from './example-stack';

const app = new App();
new ExampleStack(app, 'ConnectionSharingExample', {
  env: {
    account: app.node.tryGetContext('account') ?? '123456789012',
    region: app.node.tryGetContext('region') ?? 'eu-west-1',
  },
  accessType: (app.node.tryGetContext('accessType') as AccessType | undefined) ?? undefined,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
