import { describe, expect, it } from 'vitest';
import { definePlugin, type PluginDefinition } from './define-plugin.js';
import { CsmsError, CsmsErrorCode } from './errors.js';

function invalid(plugin: unknown): CsmsError {
  try {
    definePlugin(plugin as PluginDefinition);
  } catch (err) {
    expect(err).toBeInstanceOf(CsmsError);
    expect((err as CsmsError).code).toBe(CsmsErrorCode.PLUGIN_INVALID);
    return err as CsmsError;
  }
  throw new Error(`definePlugin accepted ${JSON.stringify(plugin)}`);
}

describe('definePlugin', () => {
  it('returns the same definition, frozen', () => {
    const input = { name: 'dashboard', version: '1.0.0', dependencies: ['firebase'], setup() {} };
    const plugin = definePlugin(input);
    expect(plugin).toBe(input);
    expect(Object.isFrozen(plugin)).toBe(true);
    // ESM is strict mode: writing to a frozen object throws.
    expect(() => {
      (plugin as { name: string }).name = 'other';
    }).toThrow(TypeError);
    expect(plugin.name).toBe('dashboard');
  });

  it.each(['dashboard', '@charge-it/plugin-ml', 'a.b_c-d', 'X1', '9lives', 'vendor/plugin'])('accepts the name %j', (name) => {
    expect(definePlugin({ name }).name).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['a space inside', 'my plugin'],
    ['a leading space', ' plugin'],
    ['a trailing newline', 'plugin\n'],
    ['a leading dash', '-plugin'],
    ['a leading dot', '.plugin'],
    ['a leading slash', '/plugin'],
    ['a non-ASCII letter', 'plügin'],
    ['a colon', 'a:b'],
  ])('rejects a name with %s', (_what, name) => {
    const err = invalid({ name });
    expect(err.message).toContain(JSON.stringify(name));
  });

  it.each([undefined, null, 42, {}, ['a']])('rejects the non-string name %j', (name) => {
    invalid({ name });
  });

  it.each([null, undefined, 'dashboard', 42, () => {}])('rejects %j as a plugin', (plugin) => {
    const err = invalid(plugin);
    expect(err.message).toContain('must be an object');
  });

  it('accepts absent or array dependencies', () => {
    expect(definePlugin<PluginDefinition>({ name: 'a' }).dependencies).toBeUndefined();
    expect(definePlugin({ name: 'b', dependencies: [] }).dependencies).toEqual([]);
    expect(definePlugin({ name: 'c', dependencies: ['a', 'b'] }).dependencies).toEqual(['a', 'b']);
  });

  it.each([['firebase'], [{ 0: 'firebase', length: 1 }], [null], [42]])('rejects dependencies given as %j', (dependencies) => {
    const err = invalid({ name: 'ml', dependencies });
    expect(err.message).toContain('"ml"');
    expect(err.message).toContain('dependencies');
  });

  it('accepts absent, plain, async and method setup functions', () => {
    definePlugin({ name: 'none' });
    definePlugin({ name: 'plain', setup: () => {} });
    definePlugin({ name: 'async', setup: async () => {} });
    definePlugin({ name: 'method', setup() {} });
  });

  it.each([['setup'], [{}], [null], [42]])('rejects setup given as %j', (setup) => {
    const err = invalid({ name: 'p', setup });
    expect(err.message).toContain('"p"');
    expect(err.message).toContain('setup');
  });
});
