// Finds every handler in the synthesized scenario assembly, exactly as CloudFormation would deploy it, and builds
// the events each of them receives, with properties taken from the template.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { customResourceArtifacts } from '../emulator/cloud-assembly';
import { ACCOUNT, REGION, SCENARIO_STACK } from './apps';
import { type ResolveContext, type Template, deployTimeContext, functionAssetDir, resolve } from './template';

export interface HandlerAsset {
  readonly name: string;
  readonly dir: string;
  readonly file: string;
  readonly exportName: string;
}

export interface ScenarioAssembly {
  readonly dir: string;
  readonly ours: Template;
  readonly acr: Template;
  readonly partnerCentral: HandlerAsset;
  readonly workspaces: HandlerAsset;
  /** The Provider framework's onEvent: our resources reach our handlers through it (an extra Lambda hop). */
  readonly framework: HandlerAsset;
  readonly awsCustomResource: HandlerAsset;
}

export function readScenarioAssembly(dir: string): ScenarioAssembly {
  const read = (stack: string) => JSON.parse(fs.readFileSync(path.join(dir, `${stack}.template.json`), 'utf8')) as Template;
  const ours = read(SCENARIO_STACK.ours);
  const acr = read(SCENARIO_STACK.acr);
  const [pc] = customResourceArtifacts(dir, SCENARIO_STACK.ours, 'Custom::PartnerConnectionPreferences');
  const [ws] = customResourceArtifacts(dir, SCENARIO_STACK.ours, 'Custom::ConnectionAliasSharing');
  const [frameworkModule, frameworkExport] = pc.frameworkHandler.split('.');
  const acrResource = Object.values(acr.Resources).find((r) => r.Type === 'Custom::AWS')!;
  const acrFunctionId = (acrResource.Properties!.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const acrFunction = acr.Resources[acrFunctionId].Properties!;
  const [acrModule, acrExport] = String(acrFunction.Handler).split('.');
  const acrDir = functionAssetDir(dir, SCENARIO_STACK.acr, acr, acrFunctionId);
  return {
    dir,
    ours,
    acr,
    partnerCentral: { name: 'ours: partner-central handler', dir: path.dirname(pc.handlerFile), file: pc.handlerFile, exportName: pc.handlerExport },
    workspaces: { name: 'ours: workspaces handler', dir: path.dirname(ws.handlerFile), file: ws.handlerFile, exportName: ws.handlerExport },
    framework: { name: 'ours: Provider framework onEvent', dir: pc.frameworkDir, file: path.join(pc.frameworkDir, `${frameworkModule}.js`), exportName: frameworkExport },
    awsCustomResource: { name: 'AwsCustomResource handler', dir: acrDir, file: path.join(acrDir, `${acrModule}.js`), exportName: acrExport },
  };
}

/** The logical id of the one resource whose id is `prefix` + the 8-character hash the CDK appends. */
export function logicalIdOf(template: Template, prefix: string): string {
  const ids = Object.keys(template.Resources).filter((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  if (ids.length !== 1) throw new Error(`expected one resource ${prefix}<hash>, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

/**
 * A resource's properties as CloudFormation sends them: intrinsics resolved, `getAtts` supplying attributes of other
 * custom resources (e.g. the Revision returned by an AwsCustomResource Get call), ServiceToken left out.
 */
export function propertiesOf(template: Template, stackName: string, logicalId: string, getAtts: Record<string, string> = {}): Record<string, unknown> {
  const base = deployTimeContext(template, stackName, ACCOUNT, REGION);
  const ctx: ResolveContext = { ref: base.ref, getAtt: (id, attr) => getAtts[`${id}.${attr}`] ?? base.getAtt(id, attr) };
  const { ServiceToken: _token, ...props } = resolve(template.Resources[logicalId].Properties ?? {}, ctx) as Record<string, unknown>;
  return props;
}

export interface AssetSize {
  readonly files: number;
  readonly bytes: number;
  /** Size of a ZIP of the folder: each file deflated (zlib deflateRaw, level 9) plus ZIP local and central headers. */
  readonly zippedBytes: number;
}

/** Sizes the folder the CDK uploads as the function's zip (the CDK zips each asset folder into one archive). */
export function assetSize(dir: string): AssetSize {
  let files = 0;
  let bytes = 0;
  let zipped = 22; // end of central directory record
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const data = fs.readFileSync(full);
        const name = Buffer.byteLength(path.relative(dir, full));
        files++;
        bytes += data.length;
        zipped += Math.min(zlib.deflateRawSync(data, { level: 9 }).length, data.length) + 30 + name + 46 + name;
      }
    }
  };
  walk(dir);
  return { files, bytes, zippedBytes: zipped };
}
