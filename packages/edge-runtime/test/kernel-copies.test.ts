import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CsmsError as CoreCsmsError, CsmsErrorCode, isCsmsError as coreIsCsmsError } from '@charge-it/core/kernel';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

/* The published edge bundles the core's kernel (tsup noExternal), so an app that also installs
 * @charge-it/core has two copies of CsmsError. isCsmsError recognises the errors of either copy by
 * the Symbol.for brand. This test builds such a second copy the way tsup does (esbuild, kernel
 * inlined from the core's published dist) and checks both directions. */

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(pkgDir, 'node_modules', '.cache', 'charge-it-kernel-copy', 'bundle.js');

interface BundledCopy {
  loadEdgeConfig(input: Record<string, unknown>, env: Record<string, string>): unknown;
  CsmsError: typeof CoreCsmsError;
  isCsmsError: typeof coreIsCsmsError;
}

describe('isCsmsError across two copies of the kernel (bundled edge + installed core)', () => {
  let copy: BundledCopy;
  beforeAll(async () => {
    await mkdir(dirname(outFile), { recursive: true });
    await build({
      stdin: {
        contents: "export { loadEdgeConfig } from './src/config/edge-config.ts'; export { CsmsError, isCsmsError } from '@charge-it/core/kernel';",
        resolveDir: pkgDir,
        loader: 'ts',
      },
      outfile: outFile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      logLevel: 'error',
    });
    copy = (await import(`${pathToFileURL(outFile).href}?t=${Date.now()}`)) as BundledCopy;
  });

  it('is a real second copy: instanceof does not cross it', () => {
    expect(copy.CsmsError).not.toBe(CoreCsmsError);
    expect(new copy.CsmsError(CsmsErrorCode.CONFIG_INVALID, 'x') instanceof CoreCsmsError).toBe(false);
  });

  it('the core recognises an error thrown by the bundled edge code, with its code', () => {
    let thrown: unknown;
    try {
      copy.loadEdgeConfig({ identity: 'bad id', csmsUrl: 'ws://127.0.0.1:1' }, {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(coreIsCsmsError(thrown)).toBe(true);
    expect(coreIsCsmsError(thrown, CsmsErrorCode.CONFIG_INVALID)).toBe(true);
    expect(coreIsCsmsError(thrown, CsmsErrorCode.INTERNAL)).toBe(false);
    expect((thrown as CoreCsmsError).message).toMatch(/identity "bad id" is invalid/);
  });

  it('the bundled edge recognises the core\'s errors (a plugin built against @charge-it/core), and neither takes a look-alike', () => {
    const fromCore = new CoreCsmsError(CsmsErrorCode.PLUGIN_SETUP_FAILED, 'setup failed');
    expect(copy.isCsmsError(fromCore)).toBe(true);
    expect(copy.isCsmsError(fromCore, CsmsErrorCode.PLUGIN_SETUP_FAILED)).toBe(true);
    const lookAlike = Object.assign(new Error('no brand'), { code: CsmsErrorCode.CONFIG_INVALID, name: 'CsmsError' });
    expect(copy.isCsmsError(lookAlike)).toBe(false);
    expect(coreIsCsmsError(lookAlike)).toBe(false);
    expect(copy.isCsmsError(null)).toBe(false);
  });
});
