import { asString, optionalString, stringList } from '../../lambda/common/props';

describe('stringList reads every shape CloudFormation and older constructs send', () => {
  test.each([
    ['an array', ['b', 'a', 'b'], ['a', 'b']],
    ['numbers stringified', [210987654321, '123456789012'], ['123456789012', '210987654321']],
    ['a JSON list in a string', '["z","y"]', ['y', 'z']],
    ['a comma-separated string', 'b, a ,,c', ['a', 'b', 'c']],
    ['absent', undefined, []],
    ['empty string', '', []],
  ])('%s', (_name, input, expected) => {
    expect(stringList(input, 'P')).toEqual(expected);
  });

  test('a malformed JSON list names the property', () => {
    expect(() => stringList('[oops', 'ExcludedParticipantIdentifiers')).toThrow(/ExcludedParticipantIdentifiers is not a valid JSON list/);
  });

  test('an object is refused with the property name', () => {
    expect(() => stringList({ a: 1 }, 'SharedAccountIds')).toThrow(/SharedAccountIds must be a list/);
  });
});

test('scalars arrive as strings and are read as strings', () => {
  expect(asString(42, 'Revision')).toBe('42');
  expect(asString(true, 'Flag')).toBe('true');
  expect(optionalString('', 'OnDelete')).toBeUndefined();
  expect(() => asString({}, 'Catalog')).toThrow(/Catalog must be a string/);
});
