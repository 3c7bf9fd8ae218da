import {
  ConflictException,
  GetConnectionPreferencesCommand,
  PartnerCentralAccountClient,
  UpdateConnectionPreferencesCommand,
  ValidationException,
} from '@aws-sdk/client-partnercentral-account';
import { type Emulator, startEmulator } from '../../emulator';
import { rejection } from '../support/rejection';

let emulator: Emulator;
let client: PartnerCentralAccountClient;

beforeAll(async () => {
  emulator = await startEmulator({ accountId: '111122223333' });
  client = new PartnerCentralAccountClient({ ...emulator.clientConfig('us-east-1'), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

test('Get returns the seeded defaults with the modeled fields, UpdatedAt as a Date', async () => {
  const out = await client.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }));
  expect(out).toMatchObject({
    Catalog: 'AWS',
    Arn: 'arn:aws:partnercentral:us-east-1:111122223333:catalog/AWS/connection-preferences',
    AccessType: 'ALLOW_ALL',
    Revision: 1,
  });
  expect(out.UpdatedAt).toBeInstanceOf(Date);
  expect(out.ExcludedParticipantIds).toBeUndefined();
});

test('a test can seed a catalog', async () => {
  emulator.partnerCentral.seed('Sandbox', { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['p-1'], Revision: 7, UpdatedAt: '2024-05-01T10:00:00Z' });
  const out = await client.send(new GetConnectionPreferencesCommand({ Catalog: 'Sandbox' }));
  expect(out).toMatchObject({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['p-1'], Revision: 7 });
  expect(out.UpdatedAt?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
});

test('Update maps request ExcludedParticipantIdentifiers to response ExcludedParticipantIds and bumps Revision on every write', async () => {
  const first = await client.send(
    new UpdateConnectionPreferencesCommand({ Catalog: 'AWS', Revision: 1, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['a-1', 'b-2'] }),
  );
  expect(first).toMatchObject({ Catalog: 'AWS', AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['a-1', 'b-2'], Revision: 2 });
  expect(first.UpdatedAt).toBeInstanceOf(Date);
  // An identical write still counts as a write.
  const second = await client.send(
    new UpdateConnectionPreferencesCommand({ Catalog: 'AWS', Revision: 2, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['a-1', 'b-2'] }),
  );
  expect(second.Revision).toBe(3);
  expect(emulator.partnerCentral.get('AWS')).toMatchObject({ Revision: 3, ExcludedParticipantIds: ['a-1', 'b-2'] });
  expect(emulator.partnerCentral.get('Sandbox')?.Revision).toBe(1);
});

test('a stale Revision is a ConflictException with Reason INCOMPATIBLE_CONNECTION_PREFERENCES_REVISION and changes nothing', async () => {
  const err = await rejection(client.send(new UpdateConnectionPreferencesCommand({ Catalog: 'AWS', Revision: 0, AccessType: 'DENY_ALL' })));
  expect(err).toBeInstanceOf(ConflictException);
  expect(err.Reason).toBe('INCOMPATIBLE_CONNECTION_PREFERENCES_REVISION');
  expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(409);
  expect(emulator.partnerCentral.get('AWS')).toMatchObject({ AccessType: 'ALLOW_ALL', Revision: 1 });
});

test('bumpRevisionBeforeUpdate makes the next updates conflict, then lets one through', async () => {
  emulator.faults.bumpRevisionBeforeUpdate('AWS', 2);
  let revision = (await client.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }))).Revision!;
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i++) {
    try {
      await client.send(new UpdateConnectionPreferencesCommand({ Catalog: 'AWS', Revision: revision, AccessType: 'DENY_ALL' }));
      outcomes.push('ok');
      break;
    } catch (err) {
      outcomes.push((err as Error).name);
      revision = (await client.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }))).Revision!;
    }
  }
  expect(outcomes).toEqual(['ConflictException', 'ConflictException', 'ok']);
  // Two external writes plus ours.
  expect(emulator.partnerCentral.get('AWS')).toMatchObject({ AccessType: 'DENY_ALL', Revision: 4 });
});

test('externalWrite changes the preferences out of band and bumps the Revision', async () => {
  emulator.partnerCentral.externalWrite('AWS', { AccessType: 'DENY_ALL' });
  const out = await client.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }));
  expect(out).toMatchObject({ AccessType: 'DENY_ALL', Revision: 2 });
});

describe('ValidationException with Reason and ErrorDetails', () => {
  const id100 = (i: number) => `${String(i).padStart(3, '0')}-${'x'.repeat(96)}`;
  test.each([
    ['a bad catalog pattern', { Catalog: 'AWS_1', Revision: 1, AccessType: 'ALLOW_ALL' }, 'Catalog', 'INVALID_STRING_FORMAT'],
    ['a catalog over 64 characters', { Catalog: 'a'.repeat(65), Revision: 1, AccessType: 'ALLOW_ALL' }, 'Catalog', 'INVALID_STRING_FORMAT'],
    ['an unknown catalog (UNVERIFIED)', { Catalog: 'Nope', Revision: 1, AccessType: 'ALLOW_ALL' }, 'Catalog', 'INVALID_VALUE'],
    ['a bad enum', { Catalog: 'AWS', Revision: 1, AccessType: 'ALLOW_SOME' }, 'AccessType', 'INVALID_ENUM_VALUE'],
    ['a missing Revision', { Catalog: 'AWS', AccessType: 'ALLOW_ALL' }, 'Revision', 'REQUIRED_FIELD_MISSING'],
    ['a bad identifier', { Catalog: 'AWS', Revision: 1, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['has space'] }, 'ExcludedParticipantIdentifiers', 'INVALID_STRING_FORMAT'],
    ['an identifier of 101 characters', { Catalog: 'AWS', Revision: 1, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['a'.repeat(101)] }, 'ExcludedParticipantIdentifiers', 'INVALID_STRING_FORMAT'],
    ['101 exclusions', { Catalog: 'AWS', Revision: 1, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: Array.from({ length: 101 }, (_, i) => `p-${i}`) }, 'ExcludedParticipantIdentifiers', 'TOO_MANY_VALUES'],
    ['a duplicate', { Catalog: 'AWS', Revision: 1, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-1', 'p-1'] }, 'ExcludedParticipantIdentifiers', 'DUPLICATE_VALUE'],
  ])('%s', async (_label, input, field, code) => {
    const err = await rejection(client.send(new UpdateConnectionPreferencesCommand(input as never)));
    expect(err).toBeInstanceOf(ValidationException);
    expect(err.Reason).toBe('REQUEST_VALIDATION_FAILED');
    expect(err.ErrorDetails).toEqual([{ FieldValidationError: expect.objectContaining({ Name: field, Code: code }) }]);
    expect(typeof err.message).toBe('string');
    expect(emulator.partnerCentral.get('AWS')?.Revision).toBe(1);
  });

  test('Get validates the catalog too', async () => {
    const err = await rejection(client.send(new GetConnectionPreferencesCommand({ Catalog: '' })));
    expect(err).toBeInstanceOf(ValidationException);
  });

  test('100 unique identifiers of 100 characters are accepted and returned byte for byte', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => id100(i));
    expect(ids.every((id) => id.length === 100)).toBe(true);
    const out = await client.send(new UpdateConnectionPreferencesCommand({ Catalog: 'AWS', Revision: 1, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ids }));
    expect(out.ExcludedParticipantIds).toEqual(ids);
  });
});

test('exclusions with another access type follow the configured UNVERIFIED policy', async () => {
  const send = (revision: number) =>
    client.send(new UpdateConnectionPreferencesCommand({ Catalog: 'AWS', Revision: revision, AccessType: 'DENY_ALL', ExcludedParticipantIdentifiers: ['p-1'] }));
  expect((await send(1)).ExcludedParticipantIds).toEqual(['p-1']);
  emulator.partnerCentral.exclusionsWithoutDenySome = 'drop';
  expect((await send(2)).ExcludedParticipantIds).toBeUndefined();
  emulator.partnerCentral.exclusionsWithoutDenySome = 'reject';
  const err = await rejection(send(3));
  expect(err).toBeInstanceOf(ValidationException);
  expect(err.Reason).toBe('BUSINESS_VALIDATION_FAILED');
});

test('a client signed for another region is refused, as the real service exists only in us-east-1', async () => {
  const euClient = new PartnerCentralAccountClient({ ...emulator.clientConfig('eu-west-1'), maxAttempts: 1 });
  const err = await rejection(euClient.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' })));
  euClient.destroy();
  expect(err.name).toBe('EmulatorWrongRegion');
});

test('the request log records every call with its input, status and error type', async () => {
  await client.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }));
  await rejection(client.send(new UpdateConnectionPreferencesCommand({ Catalog: 'AWS', Revision: 9, AccessType: 'DENY_ALL' })));
  expect(emulator.log.entries).toEqual([
    expect.objectContaining({ service: 'PartnerCentralAccount', operation: 'GetConnectionPreferences', input: { Catalog: 'AWS' }, status: 200 }),
    expect.objectContaining({ operation: 'UpdateConnectionPreferences', input: { Catalog: 'AWS', Revision: 9, AccessType: 'DENY_ALL' }, status: 409, errorType: 'ConflictException' }),
  ]);
  expect(emulator.log.count('UpdateConnectionPreferences')).toBe(1);
  expect(emulator.log.countsByOperation()).toEqual({ 'PartnerCentralAccount.GetConnectionPreferences': 1, 'PartnerCentralAccount.UpdateConnectionPreferences': 1 });
  emulator.log.reset();
  expect(emulator.log.count()).toBe(0);
});
