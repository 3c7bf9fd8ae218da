// Runs the emulator as a standalone process: `npx tsx emulator/cli.ts [--port N] [--https-port N] [--account ID]
// [--region R] [--seed-alias wsca-xxxxxxxx ...] [--log]`. Prints the URLs and the environment to export, then keeps
// running until SIGINT/SIGTERM.
import { parseArgs } from 'util';
import { startEmulator } from './index';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'https-port': { type: 'string' },
      account: { type: 'string' },
      region: { type: 'string' },
      'seed-alias': { type: 'string', multiple: true },
      log: { type: 'boolean' },
    },
  });
  const emulator = await startEmulator({
    port: values.port ? Number(values.port) : undefined,
    httpsPort: values['https-port'] ? Number(values['https-port']) : undefined,
    accountId: values.account,
    region: values.region,
  });
  for (const id of values['seed-alias'] ?? []) emulator.workspaces.seedAlias({ AliasId: id });

  console.log(`AWS API emulator listening on ${emulator.url}`);
  console.log(`CloudFormation response receiver on ${emulator.httpsUrl} (certificate ${emulator.caCertFile})`);
  console.log('Catalogs: AWS, Sandbox (ALLOW_ALL, Revision 1). Seeded aliases:', values['seed-alias']?.join(', ') ?? 'none');
  console.log('\nExport these in the shell that runs the code under test:\n');
  for (const [k, v] of Object.entries(emulator.env())) console.log(`export ${k}=${v}`);
  console.log('\nCtrl-C to stop.');

  if (values.log) {
    let seen = 0;
    setInterval(() => {
      const entries = emulator.log.entries;
      for (const c of entries.slice(seen)) console.log(`${new Date(c.time).toISOString()} ${c.service}.${c.operation} ${c.status}${c.errorType ? ` ${c.errorType}` : ''}`);
      seen = entries.length;
    }, 250).unref();
  }

  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
