import { describe, expect, it } from 'vitest';
import { unknownEnvVariables } from './resolve-config.js';

describe('unknownEnvVariables', () => {
  it('names a misspelt CHARGE_IT_* variable with the variable it probably meant', () => {
    expect(unknownEnvVariables({ CHARGE_IT_AUTO_REGISTR: 'true', PATH: '/bin' })).toEqual([
      { name: 'CHARGE_IT_AUTO_REGISTR', suggestion: 'CHARGE_IT_AUTO_REGISTER' },
    ]);
  });

  it('accepts every option variable, the application’s own and the other programs’ prefixes', () => {
    expect(
      unknownEnvVariables(
        { CHARGE_IT_PORT: '1', CHARGE_IT_DEMO: '1', CHARGE_IT_EDGE_IDENTITY: 'x', CHARGE_IT_TEST_MARIADB_URL: 'x', HOME: '/' },
        ['CHARGE_IT_DEMO'],
      ),
    ).toEqual([]);
  });

  it('gives no suggestion for a name far from every known one', () => {
    expect(unknownEnvVariables({ CHARGE_IT_SOMETHING_ELSE_ENTIRELY: '1' })).toEqual([
      { name: 'CHARGE_IT_SOMETHING_ELSE_ENTIRELY', suggestion: undefined },
    ]);
  });
});
