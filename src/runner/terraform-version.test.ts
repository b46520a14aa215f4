import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { satisfies } from './terraform-version.js';

describe('runner terraform version', () => {
  it('honours exact versions, latest and constraints', () => {
    const cases: [string, boolean][] = [
      ['latest', true],
      ['1.11.4', true],
      ['1.11.3', false],
      ['v1.11.4', true],
      ['~> 1.11.0', true],
      ['~> 1.10.0', false],
      ['~> 1.10', true],
      ['>= 1.5, < 2.0', true],
      ['>= 1.12.0', false],
      ['!= 1.11.4', false],
      ['1.11.4-beta1', false],
      ['junk', false],
    ];
    for (const [wanted, expected] of cases) assert.equal(satisfies('1.11.4', wanted), expected, wanted);
    assert.equal(satisfies('1.12.0-rc1', '>= 1.11.0'), true);
    assert.equal(satisfies('1.12.0-rc1', '>= 1.12.0'), false, 'a prerelease comes before its release');
  });
});
