// Reads a synthesized cloud assembly the way CloudFormation and the CDK asset publisher would: from a custom
// resource, through its ServiceToken to the Provider framework function, through the framework's
// USER_ON_EVENT_FUNCTION_ARN to the user handler, and from each function's S3Key to its asset folder.
import * as fs from 'fs';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON is walked by shape, like CloudFormation does
type Json = any;
export type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, Json>; DependsOn?: string[] }> };

export interface CustomResourceArtifacts {
  readonly logicalId: string;
  readonly properties: Record<string, unknown>;
  /** Folder of the Provider framework's onEvent code (framework.js). */
  readonly frameworkDir: string;
  /** The framework function's handler, e.g. "framework.onEvent". */
  readonly frameworkHandler: string;
  /** The bundled user handler file (index.js) and its exported function name. */
  readonly handlerFile: string;
  readonly handlerExport: string;
}

export function readTemplate(assemblyDir: string, stackName: string): Template {
  return JSON.parse(fs.readFileSync(path.join(assemblyDir, `${stackName}.template.json`), 'utf8'));
}

function assetDir(assemblyDir: string, stackName: string, code: { S3Key?: unknown }): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, `${stackName}.assets.json`), 'utf8'));
  const hash = String(code.S3Key).replace(/\.zip$/, '');
  const source = manifest.files?.[hash]?.source;
  if (!source?.path) throw new Error(`asset ${hash} is not in ${stackName}.assets.json`);
  return path.join(assemblyDir, source.path);
}

function getAttTarget(value: unknown, what: string): string {
  const att = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (!att) throw new Error(`${what} is not a Fn::GetAtt: ${JSON.stringify(value)}`);
  return att[0];
}

export function customResourceArtifacts(assemblyDir: string, stackName: string, resourceType: string): CustomResourceArtifacts[] {
  const template = readTemplate(assemblyDir, stackName);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === resourceType)
    .map(([logicalId, resource]) => {
      const props = resource.Properties ?? {};
      const framework = template.Resources[getAttTarget(props.ServiceToken, `${logicalId}.ServiceToken`)];
      const userFnId = getAttTarget(framework.Properties!.Environment.Variables.USER_ON_EVENT_FUNCTION_ARN, 'USER_ON_EVENT_FUNCTION_ARN');
      const userFn = template.Resources[userFnId];
      const [handlerModule, handlerExport] = String(userFn.Properties!.Handler).split('.');
      return {
        logicalId,
        properties: props,
        frameworkDir: assetDir(assemblyDir, stackName, framework.Properties!.Code),
        frameworkHandler: String(framework.Properties!.Handler),
        handlerFile: path.join(assetDir(assemblyDir, stackName, userFn.Properties!.Code), `${handlerModule}.js`),
        handlerExport,
      };
    });
}
